"""Each resource as the dict its schema (portal/api/schemas.py) dumps: only public fields, times in the city's
time zone. A gift shows its donor only as the donor chose (portal/payments: named, initials, anonymous)."""
from portal.api.queries import CITY_TIME, award_status
from portal.cases.models import OPEN_STATUSES
from portal.payments.models import ANONYMOUS, INITIALS, NAMED
from portal.payments.service import initials_of


def when(moment):
    return None if moment is None else moment.astimezone(CITY_TIME).replace(microsecond=0)


def place_ref(place) -> dict:
    return {"id": place.id, "name": place.name, "kind": place.kind}


def organisation_ref(organisation) -> dict:
    return {"id": organisation.id, "name": organisation.name, "credit_code": organisation.credit_code}


def project_row(project) -> dict:
    return {"id": project.id, "title": project.title, "summary": project.summary, "category": project.category,
            "service_type": project.service_type, "status": project.status,
            "organisation": organisation_ref(project.organisation),
            "places": [place_ref(link.place) for link in sorted(project.places, key=lambda link: link.place_id)],
            "starts_on": project.starts_on, "ends_on": project.ends_on, "budget_minor": project.budget_minor,
            "currency": project.currency, "beneficiaries_target": project.beneficiaries_target,
            "published_at": when(project.published_at),
            "indicators": [{"name": indicator.name, "unit": indicator.unit, "baseline": str(indicator.baseline),
                            "target": str(indicator.target), "direction": indicator.direction}
                           for indicator in project.indicators]}


def fund_row(fund) -> dict:
    return {"id": fund.id, "name": fund.name, "kind": fund.kind, "description": fund.description,
            "place": place_ref(fund.place), "status": "active" if fund.is_active else "inactive",
            "currency": fund.currency, "raised_minor": fund.raised_minor, "disbursed_minor": fund.disbursed_minor,
            "balance_minor": fund.balance_minor, "donor_count": fund.donor_count, "created_at": when(fund.created_at)}


def campaign_row(campaign) -> dict:
    return {"id": campaign.id, "fund": {"id": campaign.fund.id, "name": campaign.fund.name},
            "place": place_ref(campaign.fund.place), "title": campaign.title, "summary": campaign.summary,
            "status": campaign.status, "funding_model": campaign.funding_model, "goal_minor": campaign.goal_minor,
            "raised_minor": campaign.raised_minor, "currency": campaign.currency,
            "donor_count": campaign.donor_count, "starts_at": when(campaign.starts_at),
            "ends_at": when(campaign.ends_at), "published_at": when(campaign.published_at)}


def public_donor(gift) -> str | None:
    """The donor as they chose to be shown; None for an anonymous gift (or one without a name)."""
    name = (gift.donor_name or "").strip()
    if gift.display_mode == NAMED and name:
        return name
    if gift.display_mode == INITIALS and name:
        return initials_of(name)
    return None


def gift_row(gift) -> dict:
    """Never the donor's account, email or (for an anonymous gift) name or message."""
    anonymous = public_donor(gift) is None
    return {"id": gift.id, "fund_id": gift.fund_id, "campaign_id": gift.campaign_id, "team_id": gift.team_id,
            "amount_minor": gift.amount_minor, "refunded_minor": gift.refunded_minor, "currency": gift.currency,
            "display_mode": ANONYMOUS if anonymous else gift.display_mode, "donor": public_donor(gift),
            "message": None if anonymous else (gift.message or ""), "succeeded_at": when(gift.succeeded_at)}


def call_row(data) -> dict:
    """A published call from its public facts (portal/opendata/queries.py, CallData): before the opening no
    bid is counted or priced; awards appear once decided."""
    call = data.call
    return {"id": call.id, "reference": call.reference, "title": call.title, "description": call.description,
            "department": {"id": call.department.id, "name": call.department.name}, "place": place_ref(call.place),
            "mode": call.mode, "category": call.category, "status": call.status, "currency": call.currency,
            "budget_cap_minor": call.budget_cap_minor, "published_at": when(call.published_at),
            "questions_until": when(call.questions_until), "bids_until": when(call.bids_until),
            "opened_at": when(call.opened_at), "number_of_tenderers": data.tenderers,
            "awarded_at": when(call.awarded_at), "confirmed_at": when(call.confirmed_at),
            "lots": [{"number": lot.number, "title": lot.title, "budget_cap_minor": lot.budget_cap_minor}
                     for lot in call.lots],
            "criteria": [{"kind": criterion.kind, "name": criterion.name, "weight": criterion.weight}
                         for criterion in call.criteria],
            "awards": [{"id": award.id, "lot_number": award.lot.number,
                        "supplier": organisation_ref(award.bid.organisation), "amount_minor": award.amount_minor,
                        "status": award_status(award, call)} for award in data.awards]}


def award_row(data) -> dict:
    award, call = data.award, data.call
    return {"id": award.id, "call": {"id": call.id, "reference": call.reference, "title": call.title},
            "place": place_ref(call.place), "lot_number": award.lot.number, "lot_title": award.lot.title,
            "supplier": organisation_ref(award.bid.organisation), "amount_minor": award.amount_minor,
            "currency": call.currency, "total_score": award.total_score, "status": award_status(award, call),
            "decided_at": when(award.decided_at), "cancelled_at": when(award.cancelled_at)}


def contract_row(contract, payments: list) -> dict:
    return {"id": contract.id, "reference": contract.reference, "title": contract.title, "call_id": contract.call_id,
            "department": {"id": contract.department.id, "name": contract.department.name},
            "supplier": organisation_ref(contract.organisation), "place": place_ref(contract.place),
            "status": contract.status, "currency": contract.currency,
            "original_value_minor": contract.original_value_minor, "value_minor": contract.value_minor,
            "paid_minor": contract.paid_minor, "signed_at": when(contract.signed_at),
            "starts_on": contract.starts_on, "ends_on": contract.ends_on,
            "milestones": [{"id": milestone.id, "number": milestone.number, "title": milestone.title,
                            "due_on": milestone.due_on, "share_bp": milestone.share_bp, "status": milestone.status,
                            "accepted_at": when(milestone.accepted_at)} for milestone in contract.milestones],
            "payments": [{"id": payment.id, "milestone_id": payment.milestone_id, "amount_minor": payment.amount_minor,
                          "approved_at": when(payment.decided_at)} for payment in payments]}


def case_row(case) -> dict:
    """Nothing of the reporter (account, name, channel) and no photo: where and what, and how far it is."""
    return {"id": case.id, "reference": case.reference,
            "category": {"code": case.category.code, "name": case.category.name}, "place": place_ref(case.place),
            "status": case.status, "open": case.status in OPEN_STATUSES, "title": case.title,
            "description": case.description, "latitude": case.latitude, "longitude": case.longitude,
            "reported_at": when(case.reported_at), "closed_at": when(case.closed_at)}
