"""On PostgreSQL: many donors giving to one campaign at once, and one webhook delivered five times at once.

Real commits from real threads (no rolled-back test transaction), so the test creates its own rows
and deletes them at the end. SQLite serialises every writer, so there is nothing to prove there.
"""
import threading

import pytest
from sqlalchemy import func, select, text

from portal.accounts import roles
from portal.extensions import db
from portal.funds import ledger
from portal.funds.models import Campaign, Fund, LedgerEntry, MatchingPool, Team
from portal.payments import service
from portal.payments.models import Donation, WebhookEvent
from tests.factories.accounts import UserFactory, grant
from tests.factories.funds import make_campaign, make_fund, make_pool, make_team
from tests.factories.places import make_tree
from tests.payments.fake_stripe import event, signed

pytestmark = [pytest.mark.postgres_only, pytest.mark.no_db_session]

DONORS = 20
DELIVERIES = 5


@pytest.fixture
def committed_world(app, fake):
    audit_mark = db.session.scalar(text("SELECT coalesce(max(id), 0) FROM audit_events"))
    tree = make_tree()
    captain = UserFactory()
    fund = make_fund(tree["community"])
    campaign = make_campaign(fund, captain)
    team = make_team(campaign, captain)
    pool = make_pool(campaign, cap_minor=10_000)
    treasurer = UserFactory()
    grant(treasurer, roles.TREASURER, fund)
    donors = [UserFactory() for _ in range(DONORS + 2)]
    db.session.commit()
    ids = {"fund": fund.id, "campaign": campaign.id, "team": team.id, "pool": pool.id,
           "users": [captain.id, treasurer.id, *(d.id for d in donors)],
           "places": [p.id for p in tree.values()], "events": []}
    yield ids
    db.session.rollback()
    _delete_everything(ids, audit_mark)


def _delete_everything(ids: dict, audit_mark: int) -> None:
    """Ledger and audit rows are append-only (triggers); the test's own rows go with triggers off."""
    statements = [
        "DELETE FROM postings WHERE entry_id IN (SELECT id FROM ledger_entries WHERE fund_id = :fund)",
        "DELETE FROM ledger_entries WHERE fund_id = :fund",
        "DELETE FROM refunds WHERE donation_id IN (SELECT id FROM donations WHERE fund_id = :fund)",
        "DELETE FROM disputes WHERE donation_id IN (SELECT id FROM donations WHERE fund_id = :fund)",
        "DELETE FROM donations WHERE fund_id = :fund",
        "DELETE FROM donor_tallies WHERE (scope = 'fund' AND scope_id = :fund) "
        "OR (scope = 'campaign' AND scope_id = :campaign) OR (scope = 'team' AND scope_id = :team)",
        "DELETE FROM recurring_gifts WHERE fund_id = :fund",
        "DELETE FROM webhook_events WHERE id = ANY(:events)",
        "DELETE FROM matching_pools WHERE campaign_id = :campaign",
        "DELETE FROM team_members WHERE team_id = :team",
        "DELETE FROM teams WHERE campaign_id = :campaign",
        "DELETE FROM campaigns WHERE fund_id = :fund",
        "DELETE FROM role_assignments WHERE user_id = ANY(:users)",
        "DELETE FROM funds WHERE id = :fund",
        "DELETE FROM audit_events WHERE id > :audit_mark",
        "DELETE FROM users WHERE id = ANY(:users)",
        "DELETE FROM places WHERE id = ANY(:places)",
    ]
    with db.engine.begin() as connection:
        connection.execute(text("SET LOCAL session_replication_role = replica"))
        for statement in statements:
            connection.execute(text(statement), {**ids, "audit_mark": audit_mark})


def _run_together(count: int, work) -> list:
    """Start `count` threads at the same instant; return their results (or exceptions)."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(index):
        try:
            barrier.wait(timeout=30)
            results[index] = work(index)
        except Exception as error:  # noqa: BLE001  (reported by the assertions below)
            results[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def _start_gift(app, donor_id: int, campaign_id: int, team_id: int, amount_minor: int) -> tuple[int, str]:
    """Through the service, in the thread's own app context and session, committed as a request would."""
    from portal.accounts.models import User

    with app.app_context(), app.test_request_context():
        donor = db.session.get(User, donor_id)
        campaign = db.session.get(Campaign, campaign_id)
        gift = service.prepare_gift(donor, fund=None, campaign=campaign, team=db.session.get(Team, team_id),
                                    amount_minor=amount_minor, frequency="one_off", display_mode="named",
                                    donor_name=donor.display_name, message="", provider_name="stripe")
        db.session.commit()
        service.start_checkout(gift, "http://portal.test/ok", "http://portal.test/cancel")
        db.session.commit()
        result = (gift.id, gift.provider_session_id)
        db.session.remove()
        return result


def _deliver(app, body: bytes, headers: dict):
    with app.app_context():
        response = app.test_client().post("/webhooks/stripe", data=body, headers=headers)
        db.session.remove()
        return response.status_code, response.get_json()


def test_twenty_donors_at_once_and_one_webhook_five_times_end_with_exact_totals(app, fake, committed_world):
    ids = committed_world
    amounts = [1000 + 37 * i for i in range(DONORS + 2)]

    # 1. twenty donors start their gifts at the same moment, then Stripe confirms all twenty at once
    started = _run_together(DONORS, lambda i: _start_gift(app, ids["users"][2 + i], ids["campaign"], ids["team"],
                                                          amounts[i]))
    assert not [r for r in started if isinstance(r, Exception)], started
    deliveries = []
    for _donation_id, session_id in started:
        payload = event("checkout.session.completed", fake.complete_session(session_id))
        ids["events"].append(payload["id"])
        deliveries.append(signed(payload, app.config["STRIPE_WEBHOOK_SECRET"]))
    answers = _run_together(DONORS, lambda i: _deliver(app, *deliveries[i]))
    assert all(status == 200 and outcome["outcome"].startswith("credited") for status, outcome in answers), answers

    # 2. one more gift whose webhook arrives five times at the same moment
    donation_id, session_id = _start_gift(app, ids["users"][2 + DONORS], ids["campaign"], ids["team"],
                                          amounts[DONORS])
    payload = event("checkout.session.completed", fake.complete_session(session_id))
    ids["events"].append(payload["id"])
    delivery = signed(payload, app.config["STRIPE_WEBHOOK_SECRET"])
    answers = _run_together(DELIVERIES, lambda i: _deliver(app, *delivery))
    assert [status for status, _ in answers] == [200] * DELIVERIES, answers
    outcomes = sorted(outcome["outcome"] for _, outcome in answers)
    assert outcomes.count("duplicate") == DELIVERIES - 1, outcomes

    # 3. the same payment announced by two different events at once is credited once
    donation_id, session_id = _start_gift(app, ids["users"][3 + DONORS], ids["campaign"], ids["team"],
                                          amounts[DONORS + 1])
    session = fake.complete_session(session_id)
    twins = [event("checkout.session.completed", session), event("checkout.session.async_payment_succeeded", session)]
    ids["events"].extend(p["id"] for p in twins)
    signed_twins = [signed(p, app.config["STRIPE_WEBHOOK_SECRET"]) for p in twins]
    answers = _run_together(2, lambda i: _deliver(app, *signed_twins[i]))
    assert [status for status, _ in answers] == [200, 200], answers

    # exact totals: every cache equals the ledger, one gift entry per donation, the pool cap holds
    db.session.expire_all()
    donations = db.session.scalars(select(Donation).where(Donation.fund_id == ids["fund"])).all()
    assert len(donations) == DONORS + 2
    assert all(d.status == "succeeded" and d.receipt_number for d in donations)
    assert len({d.receipt_number for d in donations}) == len(donations)
    gift_entries = db.session.execute(
        select(LedgerEntry.donation_id, func.count()).where(LedgerEntry.fund_id == ids["fund"],
                                                            LedgerEntry.kind == "gift")
        .group_by(LedgerEntry.donation_id)).all()
    assert sorted(count for _, count in gift_entries) == [1] * (DONORS + 2)
    given = sum(amounts)
    pool = db.session.get(MatchingPool, ids["pool"])
    assert pool.used_minor == ledger.pool_used(pool.id) == 10_000
    campaign = db.session.get(Campaign, ids["campaign"])
    fund = db.session.get(Fund, ids["fund"])
    team = db.session.get(Team, ids["team"])
    assert campaign.raised_minor == ledger.campaign_raised(campaign.id) == given + 10_000
    assert team.raised_minor == ledger.team_raised(team.id) == given + 10_000
    assert fund.balance_minor == ledger.fund_balance(fund.id) == fund.raised_minor == ledger.fund_raised(fund.id)
    assert ledger.unbalanced_entries() == []
    stored = db.session.scalar(select(func.count()).select_from(WebhookEvent).where(WebhookEvent.id.in_(ids["events"])))
    assert stored == len(ids["events"])


CROWD_THREADS = 8
CROWD_GIFTS = 6
CROWD_DONORS = 3  # fewer donors than threads: most donors give from two or three browsers at once
CROWD_AMOUNT = 5000


def _crowd_worker(app, donor_email: str, campaign_id: int, display_mode: str) -> dict:
    """One browser: sign in, then give CROWD_GIFTS times through the give form and the sandbox checkout.

    The same donor's browsers choose different ways to be shown, so a browser that reuses the donor's
    pending gift from another browser changes that gift while the other may be paying it.
    """
    from tests.conftest import login

    seen = {"paid": 0, "paid_elsewhere": 0, "errors": []}
    with app.app_context():
        client = app.test_client()
        login(client, donor_email)
        for _ in range(CROWD_GIFTS):
            started = client.post_form(f"/give/campaign/{campaign_id}", {
                "amount_choice": str(CROWD_AMOUNT), "frequency": "one_off", "display_mode": display_mode,
                "donor_name": "众人", "provider": "sandbox"})
            if started.status_code == 302 and "/receipt" in started.headers["Location"]:
                # the donor's other browser paid the pending gift this form reused, as this one opened it
                seen["paid_elsewhere"] += 1
                continue
            if started.status_code != 303 or "/sandbox/checkout/" not in started.headers["Location"]:
                seen["errors"].append(("give", started.status_code, started.get_data(as_text=True)[:300]))
                continue
            checkout = started.headers["Location"]
            paid = client.post_form(checkout, {"action": "pay"})
            if paid.status_code == 303 and "/receipt" in paid.headers["Location"]:
                seen["paid"] += 1
            elif paid.status_code == 302 and paid.headers["Location"].endswith(checkout.split("portal.test")[-1]):
                # the same donor's other browser reused this pending gift and paid it first: one gift, as meant
                seen["paid_elsewhere"] += 1
            else:
                seen["errors"].append(("pay", paid.status_code, paid.get_data(as_text=True)[:300]))
        db.session.remove()
    return seen


def test_a_crowd_of_sandbox_gifts_from_few_donors_ends_without_errors_and_with_exact_totals(app, committed_world):
    from portal.accounts.models import User
    from portal.funds.reconcile import reconcile

    ids = committed_world
    donors = [db.session.get(User, user_id).email for user_id in ids["users"][2:2 + CROWD_DONORS]]
    db.session.rollback()
    modes = ("named", "initials", "anonymous")
    results = _run_together(CROWD_THREADS, lambda i: _crowd_worker(app, donors[i % CROWD_DONORS], ids["campaign"],
                                                                   modes[(i // CROWD_DONORS) % len(modes)]))
    crashed = [r for r in results if isinstance(r, Exception)]
    assert not crashed, crashed
    errors = [error for r in results for error in r["errors"]]
    assert errors == [], errors
    assert sum(r["paid"] for r in results) > 0

    db.session.expire_all()
    ids["events"].extend(db.session.scalars(select(WebhookEvent.id).where(WebhookEvent.id.like("sb_evt_%"))).all())
    succeeded = db.session.scalars(select(Donation).where(Donation.campaign_id == ids["campaign"],
                                                          Donation.status == "succeeded")).all()
    # every browser's gift was paid exactly once: by itself, or by the donor's other browser that reused it
    assert 0 < len(succeeded) <= sum(r["paid"] for r in results)
    given = len(succeeded) * CROWD_AMOUNT
    gift_sum = db.session.scalar(
        select(ledger.sum_minor(LedgerEntry.id * 0 + Donation.amount_minor))
        .select_from(LedgerEntry).join(Donation, Donation.id == LedgerEntry.donation_id)
        .where(LedgerEntry.campaign_id == ids["campaign"], LedgerEntry.kind == "gift"))
    assert gift_sum == given
    pool = db.session.get(MatchingPool, ids["pool"])
    campaign = db.session.get(Campaign, ids["campaign"])
    assert campaign.raised_minor == ledger.campaign_raised(campaign.id) == given + pool.used_minor
    assert pool.used_minor == ledger.pool_used(pool.id) == min(10_000, given)
    # each donor's gifts: one gift entry per succeeded donation, none for anything else
    for email in donors:
        donor_id = db.session.scalar(select(User.id).where(User.email == email))
        mine = [d for d in succeeded if d.donor_id == donor_id]
        entries = db.session.scalar(select(func.count()).select_from(LedgerEntry).join(
            Donation, Donation.id == LedgerEntry.donation_id).where(Donation.donor_id == donor_id,
                                                                    LedgerEntry.kind == "gift"))
        assert entries == len(mine)
        assert sum(d.amount_minor for d in mine) == len(mine) * CROWD_AMOUNT
    assert reconcile(with_provider=False) == []


def _wait_for_lock_waiters(count: int) -> None:
    """Until `count` sessions of this database wait for a lock (polls pg_stat_activity; fails after 20 s)."""
    import time

    for _ in range(400):
        with db.engine.connect() as connection:
            waiting = connection.execute(text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'")).scalar()
        if waiting >= count:
            return
        time.sleep(0.05)
    raise AssertionError(f"fewer than {count} sessions came to wait for a lock")


def test_paying_a_gift_while_the_donor_reopens_it_in_another_browser_is_no_deadlock(app, committed_world):
    """The deadlock seen under a crowd (DeadlockDetected while locking a users row in mark_donation_succeeded).

    Browser A pays the donor's pending gift: it locks the gift row, and its UPDATE of that row (already
    changed in the same transaction) re-checks the row's foreign keys, taking a key-share lock on the
    campaign, then on the donor's users row. Browser B of the same donor gives again and reuses that
    pending gift: it locked the donor's row FOR UPDATE, then waits for the gift row. A third session
    holds the campaign row, so A stops between the two steps and B comes in between, as under load.
    """
    from portal.accounts.models import User
    from tests.conftest import login

    ids = committed_world
    email = db.session.get(User, ids["users"][2]).email
    db.session.rollback()
    form = {"amount_choice": "5000", "frequency": "one_off", "donor_name": "同一人", "provider": "sandbox"}
    with app.app_context():
        browser_a, browser_b = app.test_client(), app.test_client()
        login(browser_a, email)
        login(browser_b, email)
        started = browser_a.post_form(f"/give/campaign/{ids['campaign']}", {**form, "display_mode": "named"})
        assert started.status_code == 303, started.get_data(as_text=True)[:500]
        checkout = started.headers["Location"]
        pay_token = browser_a.csrf_token(checkout)
        give_token = browser_b.csrf_token(f"/give/campaign/{ids['campaign']}")
        db.session.remove()

    answers = {}

    def request_in_thread(name, client, path, data):
        with app.app_context():
            try:
                answers[name] = client.post(path, data=data)
            except Exception as error:  # noqa: BLE001  (reported by the assertions below)
                answers[name] = error
            db.session.remove()

    holder = db.engine.connect()
    holding = holder.begin()
    holder.execute(text("SELECT id FROM campaigns WHERE id = :id FOR UPDATE"), {"id": ids["campaign"]})
    pay = threading.Thread(target=request_in_thread, args=(
        "pay", browser_a, checkout, {"action": "pay", "csrf_token": pay_token}))
    pay.start()
    try:
        _wait_for_lock_waiters(1)  # A holds the gift and waits for the campaign
        again = threading.Thread(target=request_in_thread, args=(
            "give", browser_b, f"/give/campaign/{ids['campaign']}",
            {**form, "display_mode": "anonymous", "csrf_token": give_token}))
        again.start()
        _wait_for_lock_waiters(2)  # B waits for the gift A holds
    finally:
        holding.rollback()
        holder.close()
    pay.join(timeout=60)
    again.join(timeout=60)

    assert not isinstance(answers["pay"], Exception), answers["pay"]
    assert not isinstance(answers["give"], Exception), answers["give"]
    assert answers["pay"].status_code == 303 and "/receipt" in answers["pay"].headers["Location"]
    assert answers["give"].status_code == 303, answers["give"].get_data(as_text=True)[:500]
    db.session.expire_all()
    ids["events"].extend(db.session.scalars(select(WebhookEvent.id).where(WebhookEvent.id.like("sb_evt_%"))).all())
    paid = db.session.scalars(select(Donation).where(Donation.fund_id == ids["fund"],
                                                     Donation.status == "succeeded")).all()
    assert len(paid) == 1
    campaign = db.session.get(Campaign, ids["campaign"])
    assert campaign.raised_minor == ledger.campaign_raised(campaign.id)


def test_two_finish_due_runs_at_once_refund_late_money_exactly_once(app, committed_world):
    """Money that arrived after a failed all-or-nothing campaign closed, refunded by the scheduled command
    started twice at the same moment (two cron hosts, or a slow run overlapping the next)."""
    from portal.accounts.models import User
    from portal.audit.models import AuditEvent
    from portal.funds import service as funds
    from portal.funds.models import ALL_OR_NOTHING
    from portal.payments.models import Refund

    ids = committed_world
    campaign = db.session.get(Campaign, ids["campaign"])
    campaign.funding_model = ALL_OR_NOTHING
    treasurer = db.session.get(User, ids["users"][1])
    funds.finish_campaign(campaign, treasurer)
    funds.close_campaign(campaign, treasurer)
    late = Donation(fund_id=ids["fund"], campaign_id=campaign.id, donor_id=ids["users"][2], donor_name="迟到",
                    amount_minor=3_000, provider="sandbox", status="pending")
    db.session.add(late)
    db.session.flush()
    service.mark_donation_succeeded(late)
    db.session.commit()
    late_id = late.id

    def run(_index):
        with app.app_context():
            result = app.test_cli_runner().invoke(args=["campaigns", "finish-due"])
            db.session.remove()
            return result.exit_code, result.output

    results = _run_together(2, run)
    assert [r for r in results if isinstance(r, Exception)] == []
    assert [code for code, _ in results] == [0, 0], results
    db.session.expire_all()
    late = db.session.get(Donation, late_id)
    assert late.status == "refunded" and late.refunded_minor == 3_000
    assert db.session.scalar(select(func.count()).select_from(Refund).where(Refund.donation_id == late_id)) == 1
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "campaign.late_gift_refunded", AuditEvent.object_id == str(late_id))) == 1
    assert ledger.campaign_raised(campaign.id) == db.session.get(Campaign, campaign.id).raised_minor == 0
