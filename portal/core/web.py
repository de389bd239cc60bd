"""Small helpers shared by views: the one form flow, safe redirects, showing a DomainError on a form.

Every form page follows the same steps: validate, call one service function, and on a DomainError roll
back and show the message beside its field (or at the top), else flash and redirect; a page that is
shown again answers 400 (invalid input) or the error's own status. `submit_form` does that for pages
with a form, `button_action` for POST buttons that only carry a CSRF token. Views keep what differs.
"""
from collections.abc import Callable
from urllib.parse import urlsplit

from flask import abort, flash, redirect, request, url_for
from flask_wtf import FlaskForm

from portal.core.errors import DomainError
from portal.core.forms import BaseForm
from portal.core.request_cache import clear_request_cache
from portal.extensions import db


class ButtonForm(BaseForm):
    """A button's form: only the CSRF token."""


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


def undo() -> None:
    """Drop what a failed action wrote (and the cached roles), so the page shows the state before it."""
    db.session.rollback()
    clear_request_cache()


def done(message: str, target: str, category: str = "success"):
    """Flash `message` and redirect to `target`: after a POST the browser loads the next page with a GET, so a
    reload does not submit the form again."""
    flash(message, category)
    return redirect(target)


def submit_form(form, action: Callable, on_success: Callable, render: Callable):
    """The one form flow.

    `action()` calls the service with the validated form; `on_success(result)` returns the response
    (usually `done(...)`); `render(status)` returns the page with the form: 200 on GET, 400 when the
    input is invalid, the error's status (400 or 409) when the service refused it.
    """
    if form.validate_on_submit():
        try:
            result = action()
        except DomainError as error:
            undo()
            show_error(form, error)
            return render(error.status_code)
        return on_success(result)
    return render(400 if form.is_submitted() else 200)


def button_action(action: Callable, on_success: Callable, back: str, form: FlaskForm | None = None,
                  flash_statuses: tuple[int, ...] | None = None):
    """A POST button: a valid CSRF token (else 400), then `action()`.

    A DomainError is undone and flashed, and the user goes `back`; otherwise `on_success(result)`. With
    `flash_statuses`, only errors of those statuses are flashed; the others show the error page (an
    illegal step stays a 409 page where a test or a person relies on it).
    """
    if not (form or ButtonForm()).validate_on_submit():
        abort(400)
    try:
        result = action()
    except DomainError as error:
        if flash_statuses is not None and error.status_code not in flash_statuses:
            raise
        undo()
        flash(error.message, "error")
        return redirect(back)
    return on_success(result)
