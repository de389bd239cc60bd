"""On PostgreSQL: one WeChat Pay callback delivered 20 times at once, with an order query among them -> one gift.

Real commits from real threads, on the rows of test_concurrency's committed_world (deleted at the end).
"""
import pytest
from sqlalchemy import func, select

from portal.accounts.models import User
from portal.extensions import db
from portal.funds.models import Campaign, LedgerEntry
from portal.payments import service, webhooks
from portal.payments.models import Donation, WebhookEvent
from tests.payments.test_concurrency import _run_together, committed_world  # noqa: F401  (a fixture)

pytestmark = [pytest.mark.postgres_only, pytest.mark.no_db_session]

DELIVERIES = 20


def test_twenty_deliveries_of_one_callback_and_a_query_at_once_make_one_gift(app, committed_world, wechat):  # noqa: F811
    ids = committed_world
    with app.test_request_context():
        donor = db.session.get(User, ids["users"][2])
        gift = service.prepare_gift(donor, fund=None, campaign=db.session.get(Campaign, ids["campaign"]), team=None,
                                    amount_minor=8_800, frequency="one_off", display_mode="named",
                                    donor_name=donor.display_name, message="", provider_name="wechatpay")
        db.session.commit()
        service.start_checkout(gift, "", "")
        db.session.commit()
        donation_id, out_trade_no = gift.id, gift.provider_session_id
        db.session.remove()
    transaction = wechat.pay(out_trade_no)
    body, headers = wechat.notification(transaction)
    ids["events"].append(f"wxpay_{transaction['transaction_id']}_SUCCESS")

    def deliver(index):
        with app.app_context():
            if index == 0:  # the donor presses "I have paid" at the same moment
                with app.test_request_context():
                    outcome = webhooks.query_and_apply(db.session.get(Donation, donation_id))
                    db.session.remove()
                    return outcome
            response = app.test_client().post("/webhooks/wechatpay", data=body,
                                              headers={**headers, "Content-Type": "application/json"})
            db.session.remove()
            return response.status_code

    results = _run_together(DELIVERIES + 1, deliver)
    assert all(result == 204 for result in results[1:]), results
    assert not isinstance(results[0], Exception), results[0]
    db.session.expire_all()
    donation = db.session.get(Donation, donation_id)
    assert donation.status == "succeeded"
    entries = db.session.scalar(select(func.count()).select_from(LedgerEntry)
                                .where(LedgerEntry.donation_id == donation_id, LedgerEntry.kind == "gift"))
    assert entries == 1
    assert db.session.scalar(select(func.count()).select_from(WebhookEvent)
                             .where(WebhookEvent.provider == "wechatpay")) == 1
    assert db.session.get(Campaign, ids["campaign"]).raised_minor >= 8_800
