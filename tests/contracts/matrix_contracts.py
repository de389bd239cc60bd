"""Authorization-matrix rows for contracts: contracts (see tests/contracts/matrix.py).

The public list, contract page and scope ledger; signing a confirmed award's contract (the buyer, the district
official); amending and deciding a proposed amendment (proposed by another official of the district, so the
matrix's official is the second official: approving answers a redirect, and refusing it afterwards is the
flashed 409 of a decided amendment, a redirect too); logging a scope request (the buyer and the contractor)."""
from tests.procurement.matrix_expect import LOGIN, PUBLIC, expect

ROUTES: dict = {
    "contracts.index": ("GET", "/contracts/", PUBLIC),
    "contracts.scope_ledger": ("GET", "/contracts/scope", PUBLIC),
    "contracts.detail": ("GET", "/contracts/{contract}", PUBLIC),
    "contracts.sign": ("GET", "/contracts/awards/{contract_award}/sign",
                       expect(anonymous=LOGIN, official=200, others=404)),
    "contracts.amendment_new": ("GET", "/contracts/{contract}/amendments/new",
                                expect(anonymous=LOGIN, official=200, others=404)),
    "contracts.amendment_approve": ("POST", "/contracts/{contract}/amendments/{contract_amendment}/approve",
                                    expect(anonymous=LOGIN, official=302, others=404)),
    "contracts.amendment_refuse": ("POST", "/contracts/{contract}/amendments/{contract_amendment}/refuse",
                                   expect(anonymous=LOGIN, official=302, others=404)),
    "contracts.terminate": ("GET", "/contracts/{contract}/terminate",
                            expect(anonymous=LOGIN, official=200, others=404)),
    "contracts.scope_new": ("GET", "/contracts/{contract}/scope/new",
                            expect(anonymous=LOGIN, official=200, org_member=200, others=404)),
}


def world(tree, users, verified_org, contract, values) -> dict:
    """A confirmed call of the contract's department with the verified organisation's bid awarded, and an
    amendment of the contract (+25%) proposed by a second official of the district."""
    from datetime import timedelta

    from portal.accounts import roles
    from portal.contracts.models import PROPOSED, ContractAmendment
    from portal.core.time import utcnow
    from portal.extensions import db
    from portal.procurement.models import CONFIRMED, Award, Bid
    from tests.factories.accounts import UserFactory, grant
    from tests.factories.evaluation import award
    from tests.factories.procurement import opened_call

    official = users["official"]
    call = opened_call(contract.department, official, [verified_org], [22_000_000], users["org_member"])
    bid = db.session.query(Bid).filter(Bid.call_id == call.id).one()
    award(call, official, bid)
    call.status, call.confirmed_at = CONFIRMED, utcnow() - timedelta(hours=1)
    second = UserFactory()
    grant(second, roles.OFFICIAL, tree["district"])
    change = contract.original_value_minor // 4
    amendment = ContractAmendment(contract_id=contract.id, number=1, rationale="服务范围扩大至相邻两个小区",
                                  value_change_minor=change, status=PROPOSED, proposed_by_id=second.id,
                                  changes={"value_minor": [contract.value_minor, contract.value_minor + change]})
    db.session.add(amendment)
    db.session.flush()
    return {"contract_award": db.session.query(Award).filter(Award.call_id == call.id).one().id,
            "contract_amendment": amendment.id}
