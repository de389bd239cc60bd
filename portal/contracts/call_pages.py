"""What contracts add to a call's page and the buyer's workbench (portal/procurement/sections.py hooks): for the
buyer of a confirmed call, "Sign the contract" per award; for everyone, once contracts exist, links to them."""
from flask import url_for
from flask_babel import gettext as _

from portal.contracts import service
from portal.procurement import awards, policy, sections
from portal.procurement.models import CONFIRMED, CONTRACTED


@sections.call_page_sections.register
def contracts_section(call, user):
    if call.status not in (CONFIRMED, CONTRACTED):
        return None
    contracts = {contract.award_id: contract for contract in service.contracts_of_call(call.id)}
    buyer = policy.can_manage_call(user, call)
    if call.status == CONFIRMED and not buyer and not contracts:
        return None
    return "contracts/_call_contracts.html", {
        "awards": awards.current_awards(call), "contracts": contracts,
        "may_sign": buyer and call.status == CONFIRMED}


@sections.buyer_actions.register
def buyer_actions(call) -> list[tuple[str, str]]:
    if call.status != CONFIRMED:
        return []
    signed = {contract.award_id for contract in service.contracts_of_call(call.id)}
    return [(_("Sign the contract with %(name)s", name=award.bid.organisation.name),
             url_for("contracts.sign", award_id=award.id))
            for award in awards.current_awards(call) if award.id not in signed]
