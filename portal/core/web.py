"""Small helpers shared by views: safe redirects, showing a DomainError on a form, client IP."""
from urllib.parse import urlsplit

from flask import abort, flash, redirect, request, url_for

from portal.core.errors import DomainError


def is_safe_next(target: str | None) -> bool:
    if not target:
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//")


def redirect_next(default_endpoint: str = "main.index", **values):
    target = request.values.get("next")
    return redirect(target if is_safe_next(target) else url_for(default_endpoint, **values))


def show_error(form, error: DomainError) -> None:
    """Put the service's message next to its field when the form has it, else in the page summary."""
    field = getattr(form, error.field, None) if (form is not None and error.field) else None
    if field is not None:
        field.errors = [*field.errors, error.message] if isinstance(field.errors, list) else [error.message]
    else:
        flash(error.message, "error")


def typed_form_valid(form) -> bool:
    """validate_on_submit for a small form people type into, posted from a page that shows it: a missing or
    bad CSRF token stays a 400, but a refused field (too long, control characters) returns False so the view
    shows the page again with the message beside the field."""
    if form.validate_on_submit():
        return True
    token = getattr(form, "csrf_token", None)
    if not form.is_submitted() or (token is not None and token.errors):
        abort(400)
    return False
