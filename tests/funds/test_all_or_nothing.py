"""An all-or-nothing campaign that misses its goal gives every gift back, through payments' refunds."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.core.errors import DomainError
from portal.core.time import utcnow
from portal.extensions import db
from portal.funds import ledger, service
from portal.funds.models import ALL_OR_NOTHING, CLOSED, ENDED, ENTRY_REFUND, FAILED, LIVE, SUCCEEDED, LedgerEntry
from portal.funds.reconcile import reconcile
from portal.payments import campaigns
from portal.payments.models import PENDING, REFUNDED, Donation
from tests.factories.funds import make_campaign, make_gift, make_pool, make_refund, make_team


def _failing_campaign(world, goal_minor: int = 100_000, **fields):
    return make_campaign(world.fund, world.worker, goal_minor=goal_minor, funding_model=ALL_OR_NOTHING, **fields)


def test_a_failed_all_or_nothing_campaign_refunds_every_gift(world):
    campaign = _failing_campaign(world)
    team = make_team(campaign, world.resident)
    make_pool(campaign, cap_minor=5_000)
    gifts = [make_gift(world.fund, 3_000, campaign=campaign, donor=world.resident, team=team),
             make_gift(world.fund, 7_000, campaign=campaign, donor=world.other_resident),
             make_gift(world.fund, 500, campaign=campaign, donor_name="现金捐赠人")]
    assert campaign.raised_minor > 0

    service.finish_campaign(campaign, world.treasurer)

    assert campaign.status == FAILED
    for gift in gifts:
        db.session.refresh(gift)
        assert gift.status == REFUNDED and gift.refunded_minor == gift.amount_minor
    db.session.refresh(campaign)
    db.session.refresh(team)
    assert campaign.raised_minor == 0 and team.raised_minor == 0
    assert ledger.campaign_raised(campaign.id) == 0
    refunds = db.session.scalar(select(func.count()).select_from(LedgerEntry).where(
        LedgerEntry.campaign_id == campaign.id, LedgerEntry.kind == ENTRY_REFUND,
        LedgerEntry.matching_pool_id.is_(None)))
    assert refunds == 3
    assert reconcile(with_provider=False) == []


def test_a_partly_refunded_gift_gets_only_the_rest_back(world):
    campaign = _failing_campaign(world)
    gift = make_gift(world.fund, 8_000, campaign=campaign, donor=world.resident)
    make_refund(gift, 3_000)
    service.finish_campaign(campaign, world.treasurer)
    db.session.refresh(gift)
    assert gift.refunded_minor == 8_000 and gift.status == REFUNDED
    assert reconcile(with_provider=False) == []


def test_pending_gifts_are_not_refunded(world):
    campaign = _failing_campaign(world)
    pending = Donation(fund_id=world.fund.id, campaign_id=campaign.id, donor_name="x", amount_minor=500,
                       provider="sandbox", status=PENDING)
    db.session.add(pending)
    service.finish_campaign(campaign, world.treasurer)
    assert pending.status == PENDING and pending.refunded_minor == 0


def test_keep_it_all_and_successful_campaigns_refund_nothing(world):
    kept = make_campaign(world.fund, world.worker, goal_minor=100_000)
    made_it = _failing_campaign(world, goal_minor=1_000)
    gift_kept = make_gift(world.fund, 2_000, campaign=kept, donor=world.resident)
    gift_made = make_gift(world.fund, 2_000, campaign=made_it, donor=world.resident)
    service.finish_campaign(kept, world.treasurer)
    service.finish_campaign(made_it, world.treasurer)
    assert (kept.status, made_it.status) == (ENDED, SUCCEEDED)
    assert gift_kept.refunded_minor == 0 and gift_made.refunded_minor == 0


def test_a_failed_campaign_cannot_close_while_it_owes_refunds(world):
    campaign = _failing_campaign(world)
    service.finish_campaign(campaign, world.treasurer)
    late = make_gift(world.fund, 1_000, campaign=campaign, donor=world.resident)  # money that arrived late
    assert service.gifts_left_to_refund(campaign) == 1
    with pytest.raises(DomainError) as caught:
        service.close_campaign(campaign, world.treasurer)
    assert caught.value.code == "refunds_owed"
    campaigns.refund_campaign_gifts(campaign, world.treasurer)
    assert late.refunded_minor == 1_000
    service.close_campaign(campaign, world.treasurer)
    assert campaign.status == CLOSED


def test_finish_due_finishes_every_campaign_past_its_end_and_is_idempotent(runner, world):
    past = utcnow() - timedelta(minutes=5)
    due_kept = make_campaign(world.fund, world.worker, goal_minor=10_000, starts_at=past - timedelta(days=10),
                             ends_at=past)
    due_failed = _failing_campaign(world, starts_at=past - timedelta(days=10), ends_at=past)
    gift = make_gift(world.fund, 2_000, campaign=due_failed, donor=world.resident)
    not_due = make_campaign(world.fund, world.worker)

    result = runner.invoke(args=["campaigns", "finish-due"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert (due_kept.status, due_failed.status, not_due.status) == (ENDED, FAILED, LIVE)
    assert gift.status == REFUNDED
    assert "2 campaign(s) finished" in result.output

    again = runner.invoke(args=["campaigns", "finish-due"])
    assert again.exit_code == 0 and "0 campaign(s) finished" in again.output
    db.session.expire_all()
    assert gift.refunded_minor == 2_000


# --- money that arrives after a failed campaign finished ------------------------------------------------



def _late_stripe_gift(world, fake, campaign, amount_minor: int = 1_500) -> Donation:
    """A card gift whose checkout completes (the webhook arrives) after the campaign finished."""
    from portal.payments import service as payments

    payment = fake._new_payment(amount_minor, "cny", {})
    late = Donation(fund_id=world.fund.id, campaign_id=campaign.id, donor_id=world.resident.id, donor_name="迟到",
                    amount_minor=amount_minor, provider="stripe", status=PENDING, provider_payment_id=payment["id"])
    db.session.add(late)
    db.session.flush()
    payments.mark_donation_succeeded(late)
    return late


def test_late_money_on_a_failed_campaign_that_was_closed_is_refunded_by_finish_due_once(runner, world, fake):
    from portal.audit.models import AuditEvent
    from portal.payments.models import Refund

    campaign = _failing_campaign(world)
    make_gift(world.fund, 2_000, campaign=campaign, donor=world.other_resident)
    service.finish_campaign(campaign, world.treasurer)
    service.close_campaign(campaign, world.treasurer)
    late = _late_stripe_gift(world, fake, campaign)
    assert campaign.status == CLOSED and late.status == "succeeded"

    result = runner.invoke(args=["campaigns", "finish-due"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert late.status == REFUNDED and late.refunded_minor == 1_500
    refunds = [params for method, path, params in fake.requests if path == "/v1/refunds"]
    assert len(refunds) == 1 and refunds[0]["payment_intent"] == late.provider_payment_id
    noted = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "campaign.late_gift_refunded"))
    assert noted is not None and noted.object_id == str(late.id) and noted.after["campaign_id"] == campaign.id
    assert ledger.campaign_raised(campaign.id) == 0

    again = runner.invoke(args=["campaigns", "finish-due"])
    assert again.exit_code == 0, again.output
    assert db.session.scalar(select(func.count()).select_from(Refund).where(Refund.donation_id == late.id)) == 1
    assert len([p for m, path, p in fake.requests if path == "/v1/refunds"]) == 1


def test_late_money_on_a_closed_campaign_that_succeeded_is_kept(runner, world, fake):
    campaign = _failing_campaign(world, goal_minor=1_000)
    make_gift(world.fund, 2_000, campaign=campaign, donor=world.other_resident)
    service.finish_campaign(campaign, world.treasurer)
    service.close_campaign(campaign, world.treasurer)
    late = _late_stripe_gift(world, fake, campaign)
    result = runner.invoke(args=["campaigns", "finish-due"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert late.status == "succeeded" and late.refunded_minor == 0
