"""Authorization-matrix rows for contracts: payments (see tests/contracts/matrix.py).

The milestone pages and the list of payments are public. The buyer's official (official) accepts milestones
and asks for payments: the empty forms answer 400. A payment asked for by another official of the buyer waits
on the world's contract's first milestone (still pending, so the official's approval is refused as a 409 and
changes nothing; the empty rejection lacks its reason, 400)."""
from tests.procurement.matrix_expect import LOGIN, PUBLIC, expect

BUYER_ONLY = dict(anonymous=LOGIN, others=404)

ROUTES: dict = {
    "contracts.payments_list": ("GET", "/contracts/payments", PUBLIC),
    "contracts.milestone_detail": ("GET", "/contracts/{contract}/milestones/{milestone}", PUBLIC),
    "contracts.milestone_accept": ("POST", "/contracts/{contract}/milestones/{milestone}/accept",
                                   expect(official=400, **BUYER_ONLY)),
    "contracts.payment_request": ("POST", "/contracts/{contract}/milestones/{milestone}/payments",
                                  expect(official=400, **BUYER_ONLY)),
    "contracts.payment_approve": ("POST", "/contracts/{contract}/payments/{contract_payment}/approve",
                                  expect(official=409, **BUYER_ONLY)),
    "contracts.payment_reject": ("POST", "/contracts/{contract}/payments/{contract_payment}/reject",
                                 expect(official=400, **BUYER_ONLY)),
}


def world(tree, users, verified_org, contract, values) -> dict:
    """A payment of the contract's first milestone, asked for by a second official of the buyer."""
    from portal.accounts import roles
    from portal.contracts.models import ContractPayment
    from portal.extensions import db
    from tests.factories.accounts import UserFactory, grant

    requester = UserFactory(email="second-official@example.org")
    grant(requester, roles.OFFICIAL, tree["district"])
    milestone = contract.milestones[0]
    payment = ContractPayment(contract_id=contract.id, milestone_id=milestone.id, amount_minor=100_000,
                              requested_by_id=requester.id)
    db.session.add(payment)
    db.session.flush()
    return {"milestone": milestone.id, "contract_payment": payment.id}
