"""The funds demo: Hubei's contest at scale, through the real services, and books that reconcile.

How long the demo takes is measured by bench/bench_demo.py, not here (a timed test fails on a busy machine).
"""
from sqlalchemy import func, select

from portal.accounts import roles
from portal.demo_city import seed_organisations, seed_places, seed_users
from portal.extensions import db
from portal.funds.demo import FUNDS, TARGET_RAISED_MINOR, fund_logins, seed_funds
from portal.funds.models import (
    CAMPAIGN_STATUSES,
    ENTRY_DISBURSEMENT,
    ENTRY_MATCH,
    ENTRY_REFUND,
    Campaign,
    Fund,
    InKindPledge,
    LedgerEntry,
    Team,
    TeamMember,
)
from portal.funds.reconcile import reconcile
from portal.payments.models import ALIPAY, OFFLINE, SANDBOX, SUCCEEDED, WECHATPAY, Donation


def _count(model, *conditions) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*conditions))


def test_the_demo_funds_have_the_contests_scale_and_reconcile(app):
    places = seed_places()
    users = seed_users(places)
    seed_organisations(users, places)
    summary = seed_funds()

    assert _count(Fund) == len(FUNDS)
    assert (_count(Campaign), _count(Team), _count(TeamMember)) == (51, 156, 1_672)
    raised = db.session.scalar(select(func.sum(Fund.raised_minor)))
    assert abs(raised - TARGET_RAISED_MINOR) < TARGET_RAISED_MINOR * 0.03
    statuses = dict(db.session.execute(select(Campaign.status, func.count()).group_by(Campaign.status)).all())
    assert set(statuses) == set(CAMPAIGN_STATUSES)  # every lifecycle state is on show
    assert _count(Donation, Donation.provider == SANDBOX, Donation.status == SUCCEEDED) > 500
    _check_gifts_by_wechat_pay_and_alipay()
    assert _count(Donation, Donation.provider == OFFLINE, Donation.confirmed_by_id.is_not(None)) > 50
    for kind in (ENTRY_MATCH, ENTRY_REFUND, ENTRY_DISBURSEMENT):
        assert _count(LedgerEntry, LedgerEntry.kind == kind) > 0, kind
    assert _count(InKindPledge) > 0
    assert "1,672 team members" in summary[0]

    from portal.accounts.models import RoleAssignment, User

    treasurer = db.session.scalar(select(User).where(User.email == fund_logins()[0][0]))
    assert treasurer.email == "treasurer@demo.example.org"
    assert _count(RoleAssignment, RoleAssignment.user_id == treasurer.id, RoleAssignment.role == roles.TREASURER,
                  RoleAssignment.scope_type == roles.SCOPE_FUND) == 1

    assert reconcile(with_provider=False) == []

    again = seed_funds()  # idempotent
    assert again == summary and _count(Campaign) == 51


def _check_gifts_by_wechat_pay_and_alipay():
    """Residents pay with WeChat Pay and Alipay too (369 and 287 gifts of the 1,549): each a credited gift with
    the order number that rail's provider gives it and a transaction number of the provider's shape."""
    from flask import current_app

    from portal.payments.providers.alipay_provider import AlipayProvider
    from portal.payments.providers.wechatpay_provider import WeChatPayProvider

    orders = {WECHATPAY: WeChatPayProvider(current_app.config).out_trade_no,
              ALIPAY: AlipayProvider(current_app.config).order_number}
    for rail, order_number in orders.items():
        paid = db.session.scalars(select(Donation).where(Donation.provider == rail)).all()
        assert len(paid) > 250, rail
        assert {donation.status for donation in paid} == {SUCCEEDED}, rail
        assert all(donation.provider_session_id == order_number(donation) and donation.receipt_number
                   and len(donation.provider_payment_id) == 28 for donation in paid), rail
