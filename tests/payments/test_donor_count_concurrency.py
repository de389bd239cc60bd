"""On PostgreSQL: one donor's first gifts to a campaign, confirmed at the same moment from several
threads, count them once; reconcile agrees. Real commits, so the test deletes its own rows after."""
import pytest
from sqlalchemy import select, text

from portal.extensions import db
from portal.funds.models import Campaign, Fund, Team
from portal.funds.reconcile import donor_differences
from tests.payments.fake_stripe import event, signed
from tests.payments.test_concurrency import _deliver, _run_together, _start_gift, committed_world  # noqa: F401

pytestmark = [pytest.mark.postgres_only, pytest.mark.no_db_session]


def test_one_donors_simultaneous_first_gifts_count_them_once(app, fake, committed_world):  # noqa: F811
    ids = committed_world
    donor, other = ids["users"][2], ids["users"][3]
    started = [_start_gift(app, donor, ids["campaign"], ids["team"], 1_000 + i) for i in range(4)]
    started.append(_start_gift(app, other, ids["campaign"], ids["team"], 2_000))
    deliveries = []
    for _donation_id, session_id in started:
        payload = event("checkout.session.completed", fake.complete_session(session_id))
        ids["events"].append(payload["id"])
        deliveries.append(signed(payload, app.config["STRIPE_WEBHOOK_SECRET"]))
    answers = _run_together(len(deliveries), lambda i: _deliver(app, *deliveries[i]))
    assert all(status == 200 and outcome["outcome"].startswith("credited") for status, outcome in answers), answers

    db.session.expire_all()
    counts = [db.session.scalar(select(model.donor_count).where(model.id == ids[key]))
              for model, key in ((Fund, "fund"), (Campaign, "campaign"), (Team, "team"))]
    assert counts == [2, 2, 2]
    gifts = db.session.scalar(text("SELECT gifts FROM donor_tallies WHERE scope = 'campaign' AND scope_id = :id "
                                   "AND donor_id = :donor"), {"id": ids["campaign"], "donor": donor})
    assert gifts == 4
    assert donor_differences() == []
