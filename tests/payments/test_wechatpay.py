"""WeChat Pay (API v3) through the real wechatpayv3 SDK against the local fake, with keys made at test time."""
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from portal.core.time import utcnow
from portal.extensions import db
from portal.payments.models import Donation, WebhookEvent
from tests.payments import fake_wechatpay
from tests.payments.conftest import EN
from tests.payments.helpers import gift_entries, give, late_counts, rail_texts, start_gift

PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148"


def _gift(client, login_as, world) -> Donation:
    login_as(world.donor)
    return start_gift(client, world.campaign, provider="wechatpay", amount_choice="5000")


def _deliver(client, body: bytes, headers: dict):
    return client.post("/webhooks/wechatpay", data=body, headers={**headers, "Content-Type": "application/json"})


def _events() -> int:
    return db.session.scalar(select(func.count()).select_from(WebhookEvent))


def _reload(donation: Donation) -> Donation:
    db.session.expire_all()
    return db.session.get(Donation, donation.id)


def test_a_desktop_gift_is_a_native_order_shown_as_a_qr_code_with_amount_and_fund(client, login_as, world, wechat):
    login_as(world.donor)
    response = give(client, world.campaign, provider="wechatpay", amount_choice="5000")
    donation = db.session.scalar(select(Donation))
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/give/{donation.id}/pay")
    assert donation.status == "pending" and donation.provider == "wechatpay"
    order = wechat.orders[donation.provider_session_id]
    assert order["amount"] == {"total": 5000, "currency": "CNY"} and order["trade_type"] == "NATIVE"
    page = client.get(f"/give/{donation.id}/pay", headers=EN)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'class="qr-code"' in html and "¥50.00" in html and world.fund.name in html
    assert "js/pay_status.js" in html and "I have paid" in html
    assert len(wechat.orders) == 1  # the page reopened the same order


def test_a_phone_gets_a_link_to_the_h5_cashier_which_comes_back_to_the_pay_page(client, login_as, world, wechat):
    client.environ_base["HTTP_USER_AGENT"] = PHONE  # the whole visit from a phone (sessions keep their agent)
    login_as(world.donor)
    response = give(client, world.campaign, provider="wechatpay", amount_choice="5000")
    donation = db.session.scalar(select(Donation))
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/give/{donation.id}/pay")
    html = client.get(f"/give/{donation.id}/pay", headers=EN).get_data(as_text=True)
    assert 'class="qr-code"' not in html and "Pay in WeChat Pay" in html
    assert f'href="{wechat.url}/h5/checkmweb?prepay_id=' in html
    assert "redirect_url=http%3A%2F%2F" in html and f"%2Fgive%2F{donation.id}%2Fpay\"" in html
    assert wechat.orders[donation.provider_session_id]["trade_type"] == "MWEB"


def test_monthly_giving_is_not_offered_with_wechat_pay(client, login_as, world, wechat):
    login_as(world.donor)
    form = client.get(f"/give/campaign/{world.campaign.id}", headers=EN).get_data(as_text=True)
    assert "Monthly gifts cannot be paid with WeChat Pay" in form
    response = give(client, world.campaign, provider="wechatpay", frequency="monthly")
    assert response.status_code == 400
    assert "Monthly giving is not offered with this way to pay" in response.get_data(as_text=True)
    assert wechat.orders == {}


def test_a_verified_callback_credits_the_gift_once_and_a_replay_is_a_no_op(client, login_as, world, wechat):
    donation = _gift(client, login_as, world)
    body, headers = wechat.notification(wechat.pay(donation.provider_session_id))
    first = _deliver(client, body, headers)
    assert first.status_code == 204 and first.get_data() == b""
    donation = _reload(donation)
    assert donation.status == "succeeded" and donation.receipt_number
    assert len(gift_entries(donation)) == 1
    again = _deliver(client, body, headers)
    assert again.status_code == 204
    assert len(gift_entries(_reload(donation))) == 1 and _events() == 1
    status = client.get(f"/give/{donation.id}/status").get_json()
    assert status["paid"] is True and status["receipt_url"].endswith(f"/donations/{donation.id}/receipt")


@pytest.mark.parametrize("spoil", ["forged", "stale", "wrong_serial", "undecryptable", "unsigned"])
def test_a_callback_that_cannot_be_trusted_stores_and_credits_nothing(client, login_as, world, wechat, spoil):
    donation = _gift(client, login_as, world)
    transaction = wechat.pay(donation.provider_session_id)
    options = {"forged": {"key": fake_wechatpay.new_key()}, "stale": {"timestamp": int(time.time()) - 301},
               "wrong_serial": {"serial": "PUB_KEY_ID_SOMEONE_ELSE"},
               "undecryptable": {"api_v3_key": "another0api0v30key0of032bytes!!!"}, "unsigned": {}}[spoil]
    body, headers = wechat.notification(transaction, **options)
    if spoil == "unsigned":
        headers.pop("Wechatpay-Signature")
    response = _deliver(client, body, headers)
    assert response.status_code == 400 and response.get_json()["code"] == "FAIL"
    assert _events() == 0
    assert _reload(donation).status == "pending" and gift_entries(donation) == []


@pytest.mark.parametrize("paid", [{"total": 1}, {"currency": "USD"}])
def test_a_wrong_amount_or_currency_is_held_for_review_and_never_credited(client, login_as, world, wechat, paid):
    donation = _gift(client, login_as, world)
    wechat.pay(donation.provider_session_id)
    body, headers = wechat.notification(wechat.transaction(donation.provider_session_id, **paid))
    assert _deliver(client, body, headers).status_code == 204
    donation = _reload(donation)
    assert donation.status == "flagged" and donation.receipt_number is None and gift_entries(donation) == []
    assert "mismatch" in db.session.scalar(select(WebhookEvent.outcome))


def test_an_order_the_portal_never_created_is_never_credited(client, login_as, world, wechat):
    donation = _gift(client, login_as, world)
    transaction = wechat.pay(donation.provider_session_id)
    transaction["out_trade_no"] = f"g{donation.id}xdeadbeef0000"  # same gift id, another deployment
    body, headers = wechat.notification(transaction)
    assert _deliver(client, body, headers).status_code == 204
    assert _reload(donation).status == "pending" and gift_entries(donation) == []
    assert db.session.scalar(select(WebhookEvent.outcome)).startswith("ignored")


def test_an_order_id_with_our_tag_that_the_portal_never_created_is_never_credited(client, login_as, world,
                                                                                  wechat):
    donation = _gift(client, login_as, world)
    transaction = wechat.pay(donation.provider_session_id)
    transaction["out_trade_no"] = donation.provider_session_id.replace(f"g{donation.id}x", "g99999x")
    body, headers = wechat.notification(transaction)
    assert _deliver(client, body, headers).status_code == 204
    assert _reload(donation).status == "pending" and gift_entries(donation) == []
    assert db.session.scalar(select(WebhookEvent.outcome)) == "ignored: no donation of ours for this checkout"


def test_the_status_the_pay_page_polls_is_never_cached(client, login_as, world, wechat):
    donation = _gift(client, login_as, world)
    response = client.get(f"/give/{donation.id}/status")
    assert response.get_json()["status"] == "pending" and response.get_json()["paid"] is False
    assert response.headers["Cache-Control"] == "private, no-store"


def test_i_have_paid_queries_the_order_and_a_late_callback_is_then_a_no_op(client, login_as, world, wechat):
    donation = _gift(client, login_as, world)
    not_yet = client.post_form(f"/give/{donation.id}/check", token_from=f"/give/{donation.id}/pay", headers=EN)
    assert not_yet.status_code == 302 and not_yet.headers["Location"].endswith(f"/give/{donation.id}/pay")
    assert _reload(donation).status == "pending"
    transaction = wechat.pay(donation.provider_session_id)
    paid = client.post_form(f"/give/{donation.id}/check", token_from=f"/give/{donation.id}/pay", headers=EN)
    assert paid.headers["Location"].endswith(f"/donations/{donation.id}/receipt")
    assert _reload(donation).status == "succeeded" and len(gift_entries(donation)) == 1
    body, headers = wechat.notification(transaction)  # the callback arrives after the query credited the gift
    assert _deliver(client, body, headers).status_code == 204
    assert len(gift_entries(_reload(donation))) == 1 and _events() == 1


def test_the_worker_queries_late_orders_and_credits_each_once(client, login_as, world, wechat, app):
    from portal.payments.late_orders import query_late_orders

    donation = _gift(client, login_as, world)
    wechat.pay(donation.provider_session_id)
    assert query_late_orders() == late_counts()  # too recent: the callback may still come
    db.session.execute(update(Donation).where(Donation.id == donation.id)
                       .values(created_at=utcnow() - timedelta(minutes=5)))
    db.session.commit()
    with app.test_request_context("/"):
        assert query_late_orders() == late_counts(queried=1, applied=1)
        assert query_late_orders() == late_counts()
    donation = _reload(donation)
    assert donation.status == "succeeded" and len(gift_entries(donation)) == 1


def test_the_worker_asks_wechat_pay_about_late_orders_every_minute(client, login_as, world, wechat, app):
    from portal import worker

    minute = utcnow().replace(hour=10, minute=17, second=0, microsecond=0)
    assert worker.payments_query_late.task_class().validate_datetime(minute)
    donation = _gift(client, login_as, world)
    wechat.pay(donation.provider_session_id)
    db.session.execute(update(Donation).where(Donation.id == donation.id)
                       .values(created_at=utcnow() - timedelta(minutes=5)))
    db.session.commit()
    worker.use_app(app)
    was, worker.huey.immediate = worker.huey.immediate, True
    try:
        worker.payments_query_late()  # enqueued and run at once in immediate mode
    finally:
        worker.huey.immediate = was
    assert _reload(donation).status == "succeeded" and len(gift_entries(donation)) == 1


def test_an_unpaid_order_past_its_time_is_closed_at_wechat_pay_and_the_gift_expires(client, login_as, world,
                                                                                   wechat, app):
    from portal.payments.late_orders import query_late_orders

    donation = _gift(client, login_as, world)
    order = wechat.orders[donation.provider_session_id]
    assert order["time_expire"].endswith("+08:00")
    db.session.execute(update(Donation).where(Donation.id == donation.id)
                       .values(created_at=utcnow() - timedelta(minutes=30)))
    db.session.commit()
    with app.test_request_context("/"):
        assert query_late_orders() == late_counts(queried=1, unpaid=1)  # still payable: left open
        db.session.execute(update(Donation).where(Donation.id == donation.id)
                           .values(created_at=utcnow() - timedelta(hours=3)))
        db.session.commit()
        assert query_late_orders() == late_counts(queried=1, closed=1)
    assert order["trade_state"] == "CLOSED"
    assert _reload(donation).status == "expired" and gift_entries(donation) == []


def test_an_order_paid_just_before_its_close_is_credited_not_expired(client, login_as, world, wechat, app):
    from portal.payments.late_orders import query_late_orders

    donation = _gift(client, login_as, world)
    wechat.paid_at_close.add(donation.provider_session_id)  # NOTPAY when asked, paid as the close arrives
    db.session.execute(update(Donation).where(Donation.id == donation.id)
                       .values(created_at=utcnow() - timedelta(hours=3)))
    db.session.commit()
    with app.test_request_context("/"):
        assert query_late_orders() == late_counts(queried=1, applied=1)  # the close refused (ORDER_PAID), asked again
    assert [path.rsplit("/", 1)[-1] for _method, path, _params in wechat.requests[-3:]] == [
        donation.provider_session_id, "close", donation.provider_session_id]
    assert _reload(donation).status == "succeeded" and len(gift_entries(donation)) == 1


def test_a_refund_goes_through_wechat_pay_and_reconcile_still_balances(client, login_as, world, wechat):
    from portal.funds.reconcile import reconcile

    donation = _gift(client, login_as, world)
    body, headers = wechat.notification(wechat.pay(donation.provider_session_id))
    _deliver(client, body, headers)
    client.post_form("/logout", {}, token_from="/")
    login_as(world.treasurer)
    response = client.post_form(f"/donations/{donation.id}/refund", {"amount": "20.00", "reason": "捐错了"},
                                token_from=f"/donations/{donation.id}/manage", headers=EN)
    assert response.status_code == 302
    donation = _reload(donation)
    assert donation.refunded_minor == 2000 and donation.status == "partially_refunded"
    (refund,) = wechat.refunds.values()
    assert refund["amount"] == {"refund": 2000, "total": 5000, "currency": "CNY"}
    assert reconcile(with_provider=False) == []


def test_a_rail_that_is_not_enabled_takes_no_callbacks_and_is_not_offered(client, login_as, world, wechat_server,
                                                                          app, monkeypatch):
    monkeypatch.setitem(app.config, "PAYMENT_PROVIDERS", "sandbox,offline")
    login_as(world.donor)
    assert 'value="wechatpay"' not in client.get(f"/give/campaign/{world.campaign.id}", headers=EN).get_data(
        as_text=True)
    body, headers = wechat_server.notification({"out_trade_no": "g1xabc", "trade_state": "SUCCESS"})
    assert _deliver(client, body, headers).status_code == 400 and _events() == 0


def _paid_and_refunded(client, login_as, world, wechat, amount: str) -> Donation:
    donation = _gift(client, login_as, world)
    body, headers = wechat.notification(wechat.pay(donation.provider_session_id))
    _deliver(client, body, headers)
    client.post_form("/logout", {}, token_from="/")
    login_as(world.treasurer)
    client.post_form(f"/donations/{donation.id}/refund", {"amount": amount, "reason": "捐错了"},
                     token_from=f"/donations/{donation.id}/manage", headers=EN)
    return _reload(donation)


def test_a_refund_wechat_pay_is_still_processing_posts_once_from_its_notification(client, login_as, world, wechat):
    wechat.refund_status = "PROCESSING"
    donation = _paid_and_refunded(client, login_as, world, wechat, "50.00")
    assert donation.refunded_minor == 0 and donation.refunds[0].status == "pending"
    (out_refund_no,) = wechat.refunds
    body, headers = wechat.refund_notification(out_refund_no)
    assert _deliver(client, body, headers).status_code == 204
    assert _deliver(client, body, headers).status_code == 204  # a replay
    donation = _reload(donation)
    assert donation.refunded_minor == 5000 and donation.status == "refunded"
    assert [refund.status for refund in donation.refunds] == ["succeeded"]


def test_a_refund_wechat_pay_gives_up_on_is_failed_and_posts_nothing(client, login_as, world, wechat):
    wechat.refund_status = "PROCESSING"
    donation = _paid_and_refunded(client, login_as, world, wechat, "20.00")
    (out_refund_no,) = wechat.refunds
    body, headers = wechat.refund_notification(out_refund_no, status="ABNORMAL")
    assert _deliver(client, body, headers).status_code == 204
    donation = _reload(donation)
    assert donation.refunded_minor == 0 and donation.status == "succeeded"
    assert [refund.status for refund in donation.refunds] == ["failed"]


def _bill_day(donation: Donation) -> str:
    from zoneinfo import ZoneInfo

    return donation.succeeded_at.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d")


def test_reconcile_agrees_with_a_wechat_pay_bill_that_matches_the_ledger(client, login_as, world, wechat, runner,
                                                                       tmp_path):
    donation = _paid_and_refunded(client, login_as, world, wechat, "20.00")
    bill = tmp_path / "tradebill.csv"
    bill.write_text(fake_wechatpay.trade_bill(wechat, _bill_day(donation)), encoding="utf-8")
    result = runner.invoke(args=["reconcile", "--no-provider", "--bill", f"wechatpay={bill}"])
    assert result.exit_code == 0, result.output


def test_reconcile_finds_a_planted_difference_in_a_wechat_pay_bill(client, login_as, world, wechat, runner, tmp_path):
    donation = _paid_and_refunded(client, login_as, world, wechat, "20.00")
    bill = tmp_path / "tradebill.csv"
    bill.write_text(fake_wechatpay.trade_bill(wechat, _bill_day(donation),
                                              paid_fen={donation.provider_session_id: 4_900}), encoding="utf-8")
    expected = f"order {donation.provider_session_id} paid 49.00, the ledger has donation {donation.id} at 50.00"
    result = runner.invoke(args=["reconcile", "--no-provider", "--bill", f"wechatpay={bill}"])
    assert result.exit_code == 1
    assert expected in result.output


def test_reconcile_lists_a_gift_credited_but_missing_from_the_wechat_pay_bill(client, login_as, world, wechat,
                                                                            runner, tmp_path):
    donation = _paid_and_refunded(client, login_as, world, wechat, "20.00")
    wechat.orders.clear()
    wechat.refunds.clear()
    bill = tmp_path / "tradebill.csv"
    text = fake_wechatpay.trade_bill(wechat, _bill_day(donation))
    other = f"`{_bill_day(donation)} 09:00:00," + ",".join(["`x"] * 5) + ",`g999xnotours00000,`u,`NATIVE,`SUCCESS"
    bill.write_text(text.replace("\n总", "\n" + other + "\n总", 1), encoding="utf-8")
    expected = f"donation {donation.id} (order {donation.provider_session_id}) is credited but not on"
    result = runner.invoke(args=["reconcile", "--no-provider", "--bill", f"wechatpay={bill}"])
    assert result.exit_code == 1
    assert expected in result.output


def test_the_receipt_my_giving_and_the_statement_name_wechat_pay(client, login_as, world, wechat, tmp_path):
    donation = _gift(client, login_as, world)
    _deliver(client, *wechat.notification(wechat.pay(donation.provider_session_id)))
    donation = _reload(donation)
    assert donation.receipt_number
    for locale, rail in (("en", "WeChat Pay"), ("zh_CN", "微信支付")):
        texts = rail_texts(client, donation, world.donor, locale, tmp_path)
        assert [name for name, text in texts.items() if rail not in text] == [], locale
