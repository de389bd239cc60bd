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
