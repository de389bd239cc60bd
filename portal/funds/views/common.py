"""The funds blueprint and what its page modules share: labels for templates, links to other domains."""
from flask import Blueprint, abort, request, url_for
from werkzeug.routing import BuildError

from portal.accounts import roles
from portal.funds import policy, queries
from portal.funds.forms import EmptyForm
from portal.funds.models import (
    CAMPAIGN_STATUSES,
    DISBURSEMENT_STATUSES,
    ENTRY_KINDS,
    FUND_KINDS,
    FUNDING_MODELS,
    IN_KIND_CATEGORIES,
    IN_KIND_STATUSES,
    PURPOSE_KINDS,
)
from portal.places.models import KIND_LABELS

bp = Blueprint("funds", __name__)


def labels() -> dict:
    return {"fund_kinds": FUND_KINDS, "campaign_statuses": CAMPAIGN_STATUSES, "funding_models": FUNDING_MODELS,
            "purpose_kinds": PURPOSE_KINDS, "disbursement_statuses": DISBURSEMENT_STATUSES,
            "entry_kinds": ENTRY_KINDS, "in_kind_statuses": IN_KIND_STATUSES,
            "in_kind_categories": IN_KIND_CATEGORIES, "role_labels": roles.ROLE_LABELS, "kind_labels": KIND_LABELS,
            "policy": policy, "donor_name": queries.public_donor_name}


@bp.app_template_global()
def give_url(campaign=None, fund=None, team=None) -> str | None:
    """The donation page of payments (None while that page does not exist)."""
    try:
        if campaign is not None:
            return url_for("payments.give_to_campaign", campaign_id=campaign.id,
                           team=team.id if team is not None else None)
        return url_for("payments.give_to_fund", fund_id=fund.id)
    except BuildError:
        return None


@bp.app_template_global()
def optional_url(endpoint: str, **values) -> str | None:
    """A link to another domain's page, or None while that page does not exist."""
    try:
        return url_for(endpoint, **values)
    except BuildError:
        return None


def id_or_none(value) -> int | None:
    return int(value) if value and str(value).isdigit() else None


def chosen_place(places):
    place_id = request.args.get("place", "")
    return next((place for place in places if str(place.id) == place_id), None)


def require_button() -> None:
    """A button whose refusal is the 409 page (the service's DomainError is not caught): CSRF only."""
    if not EmptyForm().validate_on_submit():
        abort(400)
