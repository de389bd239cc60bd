"""On PostgreSQL: one Alipay payment notified 20 times at the same moment (the same notification replayed, and
fresh notify_ids for the same order) ends in one gift. Real commits from real threads, as test_concurrency."""
import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.funds.models import LedgerEntry
from portal.payments.models import Donation, WebhookEvent
from tests.payments.test_alipay import FORM
from tests.payments.test_concurrency import _run_together, _start_gift, committed_world  # noqa: F401  (fixture)

pytestmark = [pytest.mark.postgres_only, pytest.mark.no_db_session]

DELIVERIES = 20


def _start_alipay_gift(app, ids) -> tuple[int, str]:
    from portal.accounts.models import User
    from portal.funds.models import Campaign
    from portal.payments import service

    with app.app_context(), app.test_request_context():
        donor = db.session.get(User, ids["users"][2])
        gift = service.prepare_gift(donor, fund=None, campaign=db.session.get(Campaign, ids["campaign"]), team=None,
                                    amount_minor=6600, frequency="one_off", display_mode="named",
                                    donor_name=donor.display_name, message="", provider_name="alipay")
        db.session.commit()
        service.start_checkout(gift, "http://portal.test/ok", "http://portal.test/cancel")
        db.session.commit()
        result = (gift.id, gift.provider_session_id)
        db.session.remove()
        return result


def _deliver(app, body: bytes):
    with app.app_context():
        response = app.test_client().post("/webhooks/alipay", data=body, headers=FORM)
        db.session.remove()
        return response.status_code, response.get_data(as_text=True)


def test_twenty_deliveries_of_one_paid_order_at_once_make_one_gift(app, committed_world, alipay):  # noqa: F811
    ids = committed_world
    donation_id, order = _start_alipay_gift(app, ids)
    alipay.pay(order)
    replayed = alipay.notification(order, notify_id="n-same")
    bodies = [replayed if i % 2 else alipay.notification(order, notify_id=f"n-{i}") for i in range(DELIVERIES)]
    ids["events"].extend(["alipay_n-same", *(f"alipay_n-{i}" for i in range(0, DELIVERIES, 2))])
    answers = _run_together(DELIVERIES, lambda i: _deliver(app, bodies[i]))
    assert answers == [(200, "success")] * DELIVERIES, answers
    with app.app_context():
        donation = db.session.get(Donation, donation_id)
        assert donation.status == "succeeded"
        gifts = db.session.scalar(select(func.count()).select_from(LedgerEntry).where(
            LedgerEntry.donation_id == donation_id, LedgerEntry.kind == "gift"))
        assert gifts == 1
        stored = db.session.scalar(select(func.count()).select_from(WebhookEvent).where(
            WebhookEvent.id.in_(ids["events"])))
        assert stored == 1 + DELIVERIES // 2
        db.session.remove()
