"""A gift holds the rows every gift to its campaign updates (campaign, fund, team) as briefly as it can:
its inserts and reads first, those UPDATEs last, in the lock order of portal/core/retry.py."""
from sqlalchemy import func, select

from portal.extensions import db
from portal.funds import ledger
from portal.funds.models import Campaign, Fund, MatchingPool, Team
from portal.funds.reconcile import donor_differences
from portal.payments import service
from tests.factories.funds import make_pool
from tests.payments.conftest import post_webhook
from tests.payments.fake_stripe import event
from tests.payments.helpers import start_gift

HOT_TABLES = ("UPDATE CAMPAIGNS", "UPDATE FUNDS", "UPDATE TEAMS", "UPDATE MATCHING_POOLS",
              "INSERT INTO DONOR_TALLIES", "WITH TALLY AS")


def _stored(model, object_id, column):
    """The value in the database, not the session's copy."""
    return db.session.execute(select(getattr(model, column)).where(model.id == object_id)).scalar_one()


def _deliver_paid(client, fake, donation):
    session = fake.complete_session(donation.provider_session_id)
    response = post_webhook(client, event("checkout.session.completed", session))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["outcome"].startswith("credited")


def test_a_webhook_gift_locks_its_donation_once_and_moves_the_hot_rows_last(app, client, login_as, world, fake,
                                                                              count_queries):
    login_as(world.donor)
    donation = start_gift(client, world.campaign, team=str(world.team.id))
    session = fake.complete_session(donation.provider_session_id)
    stripe = app.test_client()  # no signed-in user: what Stripe's delivery is
    with count_queries() as statements:
        response = post_webhook(stripe, event("checkout.session.completed", session))
    assert response.get_json()["outcome"].startswith("credited")
    upper = [statement.lstrip().upper() for statement in statements]
    # every statement of the gift, exactly: on PostgreSQL 12 (the entry with its postings is one, and so are
    # the donor's tallies with the donor counts they move), on SQLite 16
    postgresql = db.engine.dialect.name == "postgresql"
    entry = ["WITH ENTRY AS"] if postgresql else ["INSERT INTO LEDGER_ENTRIES", "INSERT INTO POSTINGS"]
    tallies = (["WITH TALLY AS"] if postgresql
               else ["INSERT INTO DONOR_TALLIES", "UPDATE CAMPAIGNS SET", "UPDATE FUNDS SET", "UPDATE TEAMS SET"])
    assert [" ".join(statement.split()[:3]) for statement in upper] == [
        "INSERT INTO WEBHOOK_EVENTS", "SELECT DONATIONS.ID, DONATIONS.FUND_ID,",
        "SELECT CAMPAIGNS.STATUS, FUNDS.IS_ACTIVE,", *entry,
        # sent together (one round trip on PostgreSQL): the donation, its audit record, the event's outcome
        # and the deferred events' lookup
        "UPDATE DONATIONS SET", "INSERT INTO AUDIT_EVENTS", "UPDATE WEBHOOK_EVENTS SET",
        "SELECT WEBHOOK_EVENTS.ID FROM",
        # sent together with the COMMIT: the hot rows, the donor's tallies and the donor counts
        "UPDATE CAMPAIGNS SET", "UPDATE FUNDS SET", "UPDATE TEAMS SET", *tallies]
    hot = [index for index, statement in enumerate(upper) if statement.startswith(HOT_TABLES)]
    assert hot, [statement[:60] for statement in statements]
    first = hot[0]
    # everything the gift inserts or reads comes before the first hot row; after it only the hot rows
    assert hot == list(range(first, len(upper))), statements[first:]
    assert [statement.split()[1] for statement in upper[first:first + 3]] == ["CAMPAIGNS", "FUNDS", "TEAMS"]
    # the donation is read once, with its lock (FOR UPDATE on PostgreSQL), and written once
    assert sum(1 for statement in upper if statement.startswith("SELECT DONATIONS")) == 1
    assert sum(1 for statement in upper if statement.startswith("UPDATE DONATIONS")) == 1
    # the entry (with its postings, in one statement on PostgreSQL)
    assert any(statement.startswith(("INSERT INTO LEDGER_ENTRIES", "WITH ENTRY AS (INSERT INTO LEDGER_ENTRIES"))
               for statement in upper[:first])
    assert any(statement.startswith("INSERT INTO AUDIT_EVENTS") for statement in upper[:first])
    db.session.expire_all()
    assert _stored(Campaign, world.campaign.id, "raised_minor") == ledger.campaign_raised(world.campaign.id) > 0
    assert _stored(Team, world.team.id, "raised_minor") == ledger.team_raised(world.team.id) > 0
    assert _stored(Campaign, world.campaign.id, "donor_count") == 1
    assert donor_differences() == []


def test_inside_the_block_totals_wait_for_its_end(world):
    donation = _pending_donation(world)
    before = _stored(Campaign, world.campaign.id, "raised_minor")
    with ledger.hot_rows_last():
        service.lock_donation(donation)
        donation.status, donation.succeeded_at = "succeeded", donation.created_at
        ledger.post_gift(donation)
        assert _stored(Campaign, world.campaign.id, "raised_minor") == before
        assert _stored(Fund, world.fund.id, "donor_count") == 0
    assert _stored(Campaign, world.campaign.id, "raised_minor") == before + donation.amount_minor
    assert _stored(Fund, world.fund.id, "raised_minor") == ledger.fund_raised(world.fund.id)
    assert _stored(Fund, world.fund.id, "donor_count") == 1


def test_a_savepoint_inside_the_block_takes_its_totals_back_with_it(world):
    donation = _pending_donation(world)
    before = _stored(Campaign, world.campaign.id, "raised_minor")
    with ledger.hot_rows_last():
        savepoint = db.session.begin_nested()
        donation.status, donation.succeeded_at = "succeeded", donation.created_at
        ledger.post_gift(donation)
        savepoint.rollback()
    assert _stored(Campaign, world.campaign.id, "raised_minor") == before
    assert ledger.campaign_raised(world.campaign.id) == before


def test_a_gift_matched_inside_the_block_counts_its_match_exactly_once(client, login_as, world, fake):
    pool = make_pool(world.campaign, cap_minor=3_000)
    db.session.flush()
    login_as(world.donor)
    first = start_gift(client, world.campaign)
    second = start_gift(client, world.campaign, amount_choice="10000")
    _deliver_paid(client, fake, first)
    _deliver_paid(client, fake, second)
    db.session.expire_all()
    assert _stored(MatchingPool, pool.id, "used_minor") == ledger.pool_used(pool.id) == 3_000
    assert _stored(Campaign, world.campaign.id, "raised_minor") == ledger.campaign_raised(world.campaign.id)
    assert ledger.campaign_raised(world.campaign.id) == 5_000 + 10_000 + 3_000
    assert ledger.unbalanced_entries() == []


def _audit_rows(donation_id) -> int:
    from portal.audit.models import AuditEvent

    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.object_type == "donation", AuditEvent.object_id == str(donation_id)))


def test_inside_the_block_plain_writes_wait_for_its_end_and_a_savepoint_writes_at_once(world):
    from portal.audit import service as audit

    donation = _pending_donation(world)
    before = _audit_rows(donation.id)
    with ledger.hot_rows_last():
        audit.record("donation.flagged", "donation", donation.id, after={"queued": True})
        assert _audit_rows(donation.id) == before  # queued: sent with the block's last statements
        savepoint = db.session.begin_nested()
        audit.record("donation.flagged", "donation", donation.id, after={"queued": False})
        assert _audit_rows(donation.id) == before + 1  # inside a savepoint: at once
        savepoint.rollback()  # and taken back with it
        assert _audit_rows(donation.id) == before
    assert _audit_rows(donation.id) == before + 1


def test_a_row_saved_through_the_queue_is_one_update_with_its_pending_changes(world, count_queries):
    from portal.core import pipeline
    from portal.payments.models import Donation

    donation = _pending_donation(world)
    with count_queries() as statements, ledger.hot_rows_last():
        service.lock_donation(donation)
        donation.provider_payment_id = "pi_queue"  # changed through the ORM before
        donation.status = "succeeded"
        pipeline.save_columns(donation, Donation.__table__, receipt_number="R2026-QUEUE")
        db.session.flush()  # nothing left for the ORM to write
        assert _stored(Donation, donation.id, "status") == "pending"  # queued until the block's end
    updates = [statement for statement in statements if statement.lstrip().upper().startswith("UPDATE DONATIONS")]
    assert len(updates) == 1
    db.session.expire_all()
    assert (_stored(Donation, donation.id, "status"), _stored(Donation, donation.id, "provider_payment_id"),
            _stored(Donation, donation.id, "receipt_number")) == ("succeeded", "pi_queue", "R2026-QUEUE")


def _pending_donation(world):
    from portal.payments.models import Donation

    donation = Donation(fund_id=world.fund.id, campaign_id=world.campaign.id, donor_id=world.donor.id,
                        donor_name="张小明", display_mode="named", amount_minor=2_000, currency="CNY",
                        provider="offline", frequency="one_off", status="pending")
    db.session.add(donation)
    db.session.flush()
    return donation
