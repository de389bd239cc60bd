"""Alipay through the real python-alipay-sdk against the local fake gateway (tests/payments/fake_alipay.py).

Both key pairs are made at test time: the fake verifies the portal's RSA2 request signatures and signs its
answers and notifications, which the SDK and the portal verify.
"""
from datetime import timedelta

from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.core.time import utcnow
from portal.extensions import db
from portal.payments.late_orders import query_late_orders
from portal.payments.models import Donation, WebhookEvent
from portal.payments.providers.alipay_provider import fen, yuan
from tests.payments import fake_alipay
from tests.payments.conftest import EN
from tests.payments.helpers import gift_entries, give, late_counts, rail_texts, start_gift

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _notify(client, body: bytes):
    return client.post("/webhooks/alipay", data=body, headers=FORM)


def _paid_gift(client, login_as, world, alipay, amount_choice="5000") -> tuple[Donation, str]:
    login_as(world.donor)
    donation = start_gift(client, world.campaign, provider="alipay", amount_choice=amount_choice)
    alipay.pay(donation.provider_session_id)
    return donation, donation.provider_session_id


def _events() -> int:
    return db.session.scalar(select(func.count()).select_from(WebhookEvent).where(WebhookEvent.provider == "alipay"))


def _age(donation: Donation, hours: int = 0, minutes: int = 0) -> None:
    db.session.get(Donation, donation.id).created_at = utcnow() - timedelta(hours=hours, minutes=minutes)
    db.session.commit()


def test_yuan_and_fen_convert_exactly():
    assert yuan(8880) == "88.80" and yuan(5) == "0.05" and yuan(100000) == "1000.00"
    assert fen("88.80") == 8880 and fen("0.05") == 5 and fen("50") == 5000
    assert fen("50.001") is None and fen("NaN") is None and fen("abc") is None


def test_a_gift_is_a_precreated_alipay_order_with_a_qr_code(client, login_as, world, alipay, app):
    login_as(world.donor)
    response = give(client, world.campaign, provider="alipay", amount_choice="other", custom_amount="88.80")
    assert response.status_code == 303, response.get_data(as_text=True)[-3000:]
    donation = db.session.scalar(select(Donation))
    assert donation.status == "pending" and donation.provider == "alipay"
    order = donation.provider_session_id
    assert order == f"donation_{donation.id}_{app.config['PORTAL_DEPLOYMENT_ID']}"
    method, biz = alipay.requests[0]
    assert method == "alipay.trade.precreate"
    assert biz["out_trade_no"] == order and biz["total_amount"] == "88.80"
    assert biz["_notify_url"].endswith("/webhooks/alipay")
    # the portal's pay page showing the code where the app has one, else Alipay's own link of the code
    location = response.headers["Location"]
    assert location.endswith(f"/give/{donation.id}/pay") or location.startswith("https://qr.alipay.com/")
    assert alipay.rejected == []


def test_a_verified_notification_credits_the_gift_once(client, login_as, world, alipay):
    donation, order = _paid_gift(client, login_as, world, alipay)
    response = _notify(client, alipay.notification(order))
    assert response.status_code == 200 and response.get_data(as_text=True) == "success"
    db.session.expire_all()
    donation = db.session.get(Donation, donation.id)
    assert donation.status == "succeeded" and donation.receipt_number
    assert donation.provider_payment_id == alipay.trades[order]["trade_no"]
    assert len(gift_entries(donation)) == 1


def test_a_replayed_notification_is_a_no_op(client, login_as, world, alipay):
    donation, order = _paid_gift(client, login_as, world, alipay)
    body = alipay.notification(order, notify_id="n-replayed")
    assert _notify(client, body).get_data(as_text=True) == "success"
    assert _notify(client, body).get_data(as_text=True) == "success"
    # another delivery of the same payment (TRADE_FINISHED later, a new notify_id) credits nothing more
    assert _notify(client, alipay.notification(order, "TRADE_FINISHED")).get_data(as_text=True) == "success"
    db.session.expire_all()
    assert len(gift_entries(db.session.get(Donation, donation.id))) == 1
    assert _events() == 2


def test_a_forged_signature_stores_and_credits_nothing(client, login_as, world, alipay):
    donation, order = _paid_gift(client, login_as, world, alipay)
    forger, _private, _public = fake_alipay.new_key_pair()
    response = _notify(client, alipay.notification(order, key=forger))
    assert response.status_code == 400 and response.get_data(as_text=True) == "fail"
    tampered = alipay.notification(order).replace(b"total_amount=50.00", b"total_amount=5000.00")
    assert b"total_amount=5000.00" in tampered
    assert _notify(client, tampered).get_data(as_text=True) == "fail"
    unsigned = b"&".join(part for part in alipay.notification(order).split(b"&") if not part.startswith(b"sign="))
    assert _notify(client, unsigned).get_data(as_text=True) == "fail"
    db.session.expire_all()
    assert db.session.get(Donation, donation.id).status == "pending"
    assert _events() == 0


def test_a_notification_for_another_app_id_stores_and_credits_nothing(client, login_as, world, alipay):
    donation, order = _paid_gift(client, login_as, world, alipay)
    response = _notify(client, alipay.notification(order, app_id="2021000000000999"))
    assert response.status_code == 400 and response.get_data(as_text=True) == "fail"
    db.session.expire_all()
    assert db.session.get(Donation, donation.id).status == "pending"
    assert _events() == 0


def test_a_notification_for_another_amount_is_held_for_review_never_credited(client, login_as, world, alipay):
    donation, order = _paid_gift(client, login_as, world, alipay)
    assert _notify(client, alipay.notification(order, total_amount="0.50")).get_data(as_text=True) == "success"
    db.session.expire_all()
    donation = db.session.get(Donation, donation.id)
    assert donation.status == "flagged" and gift_entries(donation) == []
    flagged = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "donation.flagged"))
    assert flagged.after["paid_minor"] == 50 and flagged.after["expected_minor"] == 5000


def test_a_fraction_of_a_fen_is_not_the_gift_s_amount(client, login_as, world, alipay):
    donation, order = _paid_gift(client, login_as, world, alipay)
    _notify(client, alipay.notification(order, total_amount="50.001"))
    db.session.expire_all()
    assert db.session.get(Donation, donation.id).status == "flagged"


def test_an_unpaid_status_credits_nothing(client, login_as, world, alipay):
    donation, order = _paid_gift(client, login_as, world, alipay)
    assert _notify(client, alipay.notification(order, "WAIT_BUYER_PAY")).get_data(as_text=True) == "success"
    db.session.expire_all()
    donation = db.session.get(Donation, donation.id)
    assert donation.status == "pending" and gift_entries(donation) == []


def test_a_closed_unpaid_trade_expires_the_gift(client, login_as, world, alipay):
    login_as(world.donor)
    donation = start_gift(client, world.campaign, provider="alipay")
    _notify(client, alipay.notification(donation.provider_session_id, "TRADE_CLOSED"))
    db.session.expire_all()
    assert db.session.get(Donation, donation.id).status == "expired"


def test_an_order_the_portal_never_created_is_never_credited(client, login_as, world, alipay):
    donation, _order = _paid_gift(client, login_as, world, alipay)
    stranger = f"donation_{donation.id}_someoneelse"
    assert _notify(client, alipay.notification(stranger, total_amount="50.00")).get_data(as_text=True) == "success"
    db.session.expire_all()
    assert db.session.get(Donation, donation.id).status == "pending"
    outcome = db.session.scalar(select(WebhookEvent.outcome))
    assert outcome.startswith("ignored")


def test_a_late_notification_is_caught_by_the_trade_query(client, login_as, world, alipay):
    donation, order = _paid_gift(client, login_as, world, alipay)
    assert query_late_orders(older_than=timedelta(0)) == late_counts(queried=1, applied=1)
    assert ("alipay.trade.query", {"out_trade_no": order, "_notify_url": None}) in alipay.requests
    db.session.expire_all()
    donation = db.session.get(Donation, donation.id)
    assert donation.status == "succeeded" and len(gift_entries(donation)) == 1
    # the notification arrives after all: answered `success`, credits nothing more
    assert _notify(client, alipay.notification(order)).get_data(as_text=True) == "success"
    db.session.expire_all()
    assert len(gift_entries(db.session.get(Donation, donation.id))) == 1


def test_the_trade_query_leaves_an_unscanned_order_pending(client, login_as, world, alipay):
    login_as(world.donor)
    donation = start_gift(client, world.campaign, provider="alipay")
    assert query_late_orders(older_than=timedelta(0)) == late_counts(queried=1, unpaid=1)
    db.session.expire_all()
    assert db.session.get(Donation, donation.id).status == "pending"


def test_a_scanned_trade_waiting_for_the_buyer_is_not_final(client, login_as, world, alipay):
    login_as(world.donor)
    donation = start_gift(client, world.campaign, provider="alipay")
    alipay.trades[donation.provider_session_id]["trade_no"] = "2026000000000000000000000001"  # scanned, not paid
    assert query_late_orders(older_than=timedelta(0)) == late_counts(queried=1, unpaid=1)
    assert ("alipay.trade.query", {"out_trade_no": donation.provider_session_id, "_notify_url": None}) in \
        alipay.requests
    db.session.expire_all()
    assert db.session.get(Donation, donation.id).status == "pending" and _events() == 0


def test_a_refund_goes_through_alipay_and_is_posted_once(client, login_as, world, alipay):
    from portal.payments import service

    donation, order = _paid_gift(client, login_as, world, alipay)
    _notify(client, alipay.notification(order))
    db.session.expire_all()
    donation = db.session.get(Donation, donation.id)
    refund = service.refund_donation(donation, 2000, "donor asked", world.treasurer)
    db.session.commit()
    assert refund.status == "succeeded" and alipay.trades[order]["refunded"] == 20
    # Alipay's refund notification (its running refund total) posts nothing more
    _notify(client, alipay.notification(order, refund_fee="20.00", gmt_refund="2026-12-07 15:30:00"))
    db.session.expire_all()
    donation = db.session.get(Donation, donation.id)
    assert donation.refunded_minor == 2000 and donation.status == "partially_refunded"


def test_reconcile_still_balances_after_alipay_gifts(client, login_as, world, alipay, runner):
    _donation, order = _paid_gift(client, login_as, world, alipay)
    _notify(client, alipay.notification(order))
    result = runner.invoke(args=["reconcile"])
    assert result.exit_code == 0, result.output


def test_the_alipay_notification_is_refused_when_alipay_is_not_enabled(client, app, monkeypatch, alipay):
    monkeypatch.setitem(app.config, "PAYMENT_PROVIDERS", "sandbox,offline")
    response = _notify(client, alipay.notification("donation_1_x"))
    assert response.status_code == 400 and response.get_data(as_text=True) == "fail"
    assert _events() == 0


def test_portal_payments_query_late_credits_a_paid_alipay_order_whose_notification_is_late(client, login_as, world,
                                                                                          alipay, runner):
    donation, _order = _paid_gift(client, login_as, world, alipay)
    result = runner.invoke(args=["payments", "query-late", "--minutes", "0"])
    assert result.exit_code == 0, result.output
    assert "1 late order(s) queried, 1 applied, 0 not paid yet, 0 closed unpaid, 0 error(s)" in result.output
    db.session.expire_all()
    assert db.session.get(Donation, donation.id).status == "succeeded"


def test_portal_payments_query_late_exits_1_when_alipay_cannot_be_reached(client, login_as, world, alipay, runner,
                                                                        app, monkeypatch):
    donation, _order = _paid_gift(client, login_as, world, alipay)
    monkeypatch.setitem(app.config, "ALIPAY_GATEWAY", "http://127.0.0.1:9/gateway.do")  # nothing listens there
    result = runner.invoke(args=["payments", "query-late", "--minutes", "0"])
    assert result.exit_code == 1, result.output
    assert "1 late order(s) queried, 0 applied, 0 not paid yet, 0 closed unpaid, 1 error(s)" in result.output
    db.session.expire_all()
    assert db.session.get(Donation, donation.id).status == "pending"


def test_the_worker_s_one_late_order_job_asks_alipay_too(client, login_as, world, alipay, app):
    from portal import worker

    donation, _order = _paid_gift(client, login_as, world, alipay)
    _age(donation, minutes=5)
    worker.use_app(app)
    assert worker.payments_query_late.call_local() == late_counts(queried=1, applied=1)
    db.session.expire_all()
    assert db.session.get(Donation, donation.id).status == "succeeded"
    assert not hasattr(worker, "alipay_late_orders")  # one job asks every rail; no second job asks Alipay again


def test_the_worker_s_late_order_job_does_nothing_when_no_rail_can_be_asked(app, monkeypatch):
    from portal import worker

    monkeypatch.setitem(app.config, "PAYMENT_PROVIDERS", "sandbox,offline")
    worker.use_app(app)
    assert worker.payments_query_late.call_local() == late_counts()


def test_monthly_giving_is_refused_with_alipay_before_any_gift_is_made(client, login_as, world, alipay):
    login_as(world.donor)
    response = give(client, world.campaign, provider="alipay", frequency="monthly", amount_choice="5000")
    assert response.status_code == 400
    assert "Monthly giving is not offered with this way to pay" in response.get_data(as_text=True)
    assert alipay.requests == []


def test_a_phone_is_sent_to_alipay_s_wap_cashier_with_a_signed_request(app, client, login_as, world, alipay):
    from urllib.parse import parse_qsl, urlsplit

    from portal.payments.providers import get_provider

    login_as(world.donor)
    donation = start_gift(client, world.campaign, provider="alipay")
    with app.test_request_context("/"):
        checkout = get_provider("alipay").start_checkout(donation, "https://portal.test/ok", "https://portal.test/no",
                                                         mobile=True)
    assert checkout.kind == "redirect" and checkout.url.startswith(alipay.gateway + "?")
    fields = dict(parse_qsl(urlsplit(checkout.url).query))
    assert fields["method"] == "alipay.trade.wap.pay" and fields["return_url"] == "https://portal.test/ok"
    assert fake_alipay.rsa2_verify(alipay.app_key.public_key(), fake_alipay.unsigned_text(fields, ("sign",)),
                                   fields["sign"])




def test_an_order_left_unpaid_past_its_qr_code_s_life_is_closed_at_alipay_and_expires(client, login_as, world,
                                                                                      alipay):
    login_as(world.donor)
    donation = start_gift(client, world.campaign, provider="alipay")
    _age(donation, 1)
    assert query_late_orders() == late_counts(queried=1, unpaid=1)  # its QR code can still be paid: left open
    _age(donation, 3)
    assert query_late_orders() == late_counts(queried=1, closed=1)
    assert alipay.trades[donation.provider_session_id]["status"] == "TRADE_CLOSED"
    assert [method for method, _biz in alipay.requests][-3:] == ["alipay.trade.query", "alipay.trade.close",
                                                                  "alipay.trade.query"]
    db.session.expire_all()
    assert db.session.get(Donation, donation.id).status == "expired"
    assert query_late_orders() == late_counts()  # expired: never asked about again


def test_an_old_order_paid_at_the_last_moment_is_credited_not_closed(client, login_as, world, alipay):
    donation, order = _paid_gift(client, login_as, world, alipay)
    _age(donation, 3)
    assert query_late_orders() == late_counts(queried=1, applied=1)
    assert alipay.trades[order]["status"] == "TRADE_SUCCESS"
    db.session.expire_all()
    assert db.session.get(Donation, donation.id).status == "succeeded"


def test_an_old_order_paid_just_as_it_is_closed_is_credited_not_expired(client, login_as, world, alipay):
    login_as(world.donor)
    donation = start_gift(client, world.campaign, provider="alipay")
    order = donation.provider_session_id
    alipay.trades[order]["trade_no"] = "2026000000000000000000000002"  # scanned; the query says WAIT_BUYER_PAY
    alipay.paid_at_close.add(order)  # and the donor pays between that query and the close
    _age(donation, 3)
    assert query_late_orders() == late_counts(queried=1, applied=1)  # the close refused, asked again: paid
    assert [method for method, _biz in alipay.requests][-3:] == ["alipay.trade.query", "alipay.trade.close",
                                                                  "alipay.trade.query"]
    db.session.expire_all()
    donation = db.session.get(Donation, donation.id)
    assert donation.status == "succeeded" and len(gift_entries(donation)) == 1


def test_a_refund_notified_before_its_payment_waits_for_it_then_posts_once(client, login_as, world, alipay):
    donation, order = _paid_gift(client, login_as, world, alipay)
    # a refund made at Alipay's merchant console, notified before the payment's own notification
    _notify(client, alipay.notification(order, refund_fee="10.00", gmt_refund="2026-12-07 15:30:00"))
    db.session.expire_all()
    assert db.session.get(Donation, donation.id).status == "pending"
    _notify(client, alipay.notification(order))
    db.session.expire_all()
    donation = db.session.get(Donation, donation.id)
    assert donation.status == "partially_refunded" and donation.refunded_minor == 1000
    assert len(gift_entries(donation)) == 1


def _bill_day(donation: Donation) -> str:
    from zoneinfo import ZoneInfo

    return donation.succeeded_at.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d")


def _credited(client, world, alipay, amount_choice="5000") -> Donation:
    donation = start_gift(client, world.campaign, provider="alipay", amount_choice=amount_choice)
    alipay.pay(donation.provider_session_id)
    _notify(client, alipay.notification(donation.provider_session_id))
    db.session.expire_all()
    return db.session.get(Donation, donation.id)


def test_alipay_s_bill_agrees_with_the_ledger(client, login_as, world, alipay, runner, tmp_path):
    login_as(world.donor)
    donation = _credited(client, world, alipay)
    path = tmp_path / "bill.csv"
    path.write_bytes(fake_alipay.bill(_bill_day(donation), [(donation.provider_session_id, "交易", "50.00")]))
    result = runner.invoke(args=["payments", "alipay-bill", str(path)])
    assert result.exit_code == 0, result.output
    assert "0 differences" in result.output


def test_alipay_s_bill_finds_each_planted_difference(client, login_as, world, alipay, runner, tmp_path):
    login_as(world.donor)
    first = _credited(client, world, alipay)
    second = _credited(client, world, alipay, amount_choice="10000")
    day = _bill_day(first)
    path = tmp_path / "bill.csv"
    path.write_bytes(fake_alipay.bill(day, [
        (first.provider_session_id, "交易", "55.00"),  # another amount than the gift's
        (first.provider_session_id, "退款", "-5.00"),  # a refund the ledger does not have
        ("donation_999999_elsewhere", "交易", "8.00"),  # an order that is no gift of ours
    ]))  # and the second gift, credited that day, is missing from the bill
    first_id, second_id = first.id, second.id
    result = runner.invoke(args=["payments", "alipay-bill", str(path)])  # read only: it rolls back
    assert result.exit_code == 1, result.output
    assert f"paid ¥55 at Alipay, donation {first_id} is ¥50" in result.output
    assert f"refunded ¥5 at Alipay, ¥0 on donation {first_id}" in result.output
    assert "donation_999999_elsewhere: paid ¥8 at Alipay, no gift of ours" in result.output
    assert f"donation {second_id}: credited ¥100 from Alipay order" in result.output
    assert "4 difference(s)" in result.output


def test_reconcile_agrees_with_an_alipay_bill_that_matches_the_ledger(client, login_as, world, alipay, runner,
                                                                     tmp_path):
    login_as(world.donor)
    donation = _credited(client, world, alipay)
    path = tmp_path / "bill.csv"  # GBK, as Alipay publishes it
    path.write_bytes(fake_alipay.bill(_bill_day(donation), [(donation.provider_session_id, "交易", "50.00")]))
    result = runner.invoke(args=["reconcile", "--no-provider", "--bill", f"alipay={path}"])
    assert result.exit_code == 0, result.output


def test_reconcile_finds_a_planted_difference_in_an_alipay_bill(client, login_as, world, alipay, runner, tmp_path):
    login_as(world.donor)
    donation = _credited(client, world, alipay)
    path = tmp_path / "bill.csv"
    path.write_bytes(fake_alipay.bill(_bill_day(donation), [(donation.provider_session_id, "交易", "49.00")]))
    donation_id = donation.id
    result = runner.invoke(args=["reconcile", "--no-provider", "--bill", f"alipay={path}"])
    assert result.exit_code == 1, result.output
    assert f"paid ¥49 at Alipay, donation {donation_id} is ¥50" in result.output


def test_reconcile_reports_a_file_that_is_not_an_alipay_bill(runner, tmp_path, alipay):
    path = tmp_path / "bill.csv"
    path.write_text("date,amount\n2026-12-07,1.00\n")
    result = runner.invoke(args=["reconcile", "--no-provider", "--bill", f"alipay={path}"])
    assert result.exit_code == 1 and "not an Alipay trade bill" in result.output


def test_a_file_that_is_not_an_alipay_bill_is_refused(runner, tmp_path, alipay):
    path = tmp_path / "bill.csv"
    path.write_text("date,amount\n2026-12-07,1.00\n")
    result = runner.invoke(args=["payments", "alipay-bill", str(path)])
    assert result.exit_code == 1 and "not an Alipay trade bill" in result.output


def test_a_phone_s_browser_is_sent_to_the_wap_cashier(client, login_as, world, alipay):
    client.environ_base["HTTP_USER_AGENT"] = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) Mobile/15E148"
    login_as(world.donor)
    data = {"amount_choice": "5000", "frequency": "one_off", "display_mode": "named", "donor_name": "张小明",
            "provider": "alipay"}
    response = client.post_form(f"/give/campaign/{world.campaign.id}", data, headers=EN)
    assert response.status_code == 303, (response.status_code, response.headers.get("Location"))
    assert response.headers["Location"].startswith(alipay.gateway + "?")
    assert "method=alipay.trade.wap.pay" in response.headers["Location"]
    assert alipay.requests == []  # the WAP cashier is a signed redirect, no server call


def test_the_order_query_has_nothing_final_to_say_while_the_donor_has_not_paid(client, login_as, world, alipay):
    from portal.payments.providers import get_provider

    login_as(world.donor)
    donation = start_gift(client, world.campaign, provider="alipay")
    provider = get_provider("alipay")
    assert provider.query_order(donation) is None
    alipay.pay(donation.provider_session_id)
    assert provider.query_order(donation).type == "checkout.session.completed"


def test_the_receipt_my_giving_and_the_statement_name_alipay(client, login_as, world, alipay, tmp_path):
    login_as(world.donor)
    donation = _credited(client, world, alipay)
    assert donation.receipt_number
    for locale, rail in (("en", "Alipay"), ("zh_CN", "支付宝")):
        texts = rail_texts(client, donation, world.donor, locale, tmp_path)
        assert [name for name, text in texts.items() if rail not in text] == [], locale
