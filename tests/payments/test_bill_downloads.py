"""The providers' daily bills downloaded through their APIs (WeChat Pay's tradebill, Alipay's bill download
address) against the local fakes, compared with the ledger by `portal reconcile --bill-date` and the worker's
daily `payments_bills`."""
import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.extensions import db
from portal.payments.models import Donation
from tests.payments.helpers import start_gift
from tests.payments.test_alipay import _notify as _alipay_notify
from tests.payments.test_wechatpay import _deliver


def _day(donation: Donation) -> str:
    return donation.succeeded_at.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d")


def _reload(donation: Donation) -> Donation:
    db.session.expire_all()
    return db.session.get(Donation, donation.id)


def _wechat_gift(client, world, wechat, amount_choice="5000") -> Donation:
    donation = start_gift(client, world.campaign, provider="wechatpay", amount_choice=amount_choice)
    _deliver(client, *wechat.notification(wechat.pay(donation.provider_session_id)))
    return _reload(donation)


def _alipay_gift(client, world, alipay, amount_choice="5000") -> Donation:
    donation = start_gift(client, world.campaign, provider="alipay", amount_choice=amount_choice)
    alipay.pay(donation.provider_session_id)
    _alipay_notify(client, alipay.notification(donation.provider_session_id))
    return _reload(donation)


def _reconcile(runner, day: str):
    return runner.invoke(args=["reconcile", "--no-provider", "--bill-date", day])


# --- WeChat Pay ---------------------------------------------------------------------------------------------

def test_the_downloaded_wechat_pay_bill_agrees_with_the_ledger(client, login_as, world, wechat, runner):
    login_as(world.donor)
    donation = _wechat_gift(client, world, wechat)
    result = _reconcile(runner, _day(donation))
    assert result.exit_code == 0, result.output
    assert "0 differences" in result.output
    paths = [path for method, path, _params in wechat.requests if method == "GET"]
    assert paths[-2:] == ["/v3/bill/tradebill", "/v3/billdownload/file"]  # both requests signed, or refused
    assert wechat.rejected == 0


def test_a_planted_difference_is_found_through_the_wechat_pay_download(client, login_as, world, wechat,
                                                                        runner):
    login_as(world.donor)
    donation = _wechat_gift(client, world, wechat)
    wechat.bill_paid_fen[donation.provider_session_id] = 4_900
    expected = (f"wechatpay bill: order {donation.provider_session_id} paid 49.00, the ledger has donation "
                f"{donation.id} at 50.00")
    result = _reconcile(runner, _day(donation))  # read only: it rolls back, so what the test reads comes first
    assert result.exit_code == 1, result.output
    assert expected in result.output


def test_a_tampered_wechat_pay_download_is_refused_never_agrees(client, login_as, world, wechat, runner):
    login_as(world.donor)
    donation = _wechat_gift(client, world, wechat)
    wechat.tamper_download = True  # the file served is not the one whose SHA1 the signed answer gave
    day = _day(donation)
    result = _reconcile(runner, day)
    assert result.exit_code == 4, result.output
    assert f"wechatpay bill of {day}: not compared: " in result.output
    assert "SHA1 is not the hash_value" in result.output
    assert "agree" not in result.output


def test_a_day_without_wechat_pay_trades_is_an_empty_bill_not_a_failure(world, wechat, runner):
    result = _reconcile(runner, "2026-12-07")
    assert result.exit_code == 0, result.output
    assert ("GET", "/v3/bill/tradebill", {}) in wechat.requests  # answered NO_STATEMENT_EXIST


def test_a_gift_credited_on_a_day_wechat_pay_has_no_statement_for_is_listed_as_missing(client, login_as, world,
                                                                                        wechat, runner):
    login_as(world.donor)
    donation = _wechat_gift(client, world, wechat)
    wechat.orders.clear()  # WeChat Pay knows no trade that day: it answers NO_STATEMENT_EXIST
    expected = (f"wechatpay bill: donation {donation.id} (order {donation.provider_session_id}) is credited but not "
                f"on WeChat Pay's bill")
    result = _reconcile(runner, _day(donation))  # read only: it rolls back, so what the test reads comes first
    assert result.exit_code == 1, result.output
    assert expected in result.output


# --- Alipay -------------------------------------------------------------------------------------------------

def test_the_downloaded_alipay_bill_agrees_with_the_ledger(client, login_as, world, alipay, runner):
    login_as(world.donor)
    donation = _alipay_gift(client, world, alipay)
    day = _day(donation)
    result = _reconcile(runner, day)
    assert result.exit_code == 0, result.output
    method, biz = alipay.requests[-1]
    assert method == "alipay.data.dataservice.bill.downloadurl.query"
    assert biz["bill_type"] == "trade" and biz["bill_date"] == day
    assert alipay.rejected == []


def test_planted_differences_are_found_through_the_alipay_download(client, login_as, world, alipay,
                                                                   runner):
    login_as(world.donor)
    donation = _alipay_gift(client, world, alipay)
    alipay.bill_amounts[donation.provider_session_id] = "49.00"
    alipay.bill_extra_rows.append(("donation_999999_elsewhere", "交易", "8.00"))
    expected = f"paid ¥49 at Alipay, donation {donation.id} is ¥50"
    result = _reconcile(runner, _day(donation))
    assert result.exit_code == 1, result.output
    assert expected in result.output
    assert "donation_999999_elsewhere: paid ¥8 at Alipay, no gift of ours" in result.output
    assert "2 difference(s) found" in result.output


def test_an_alipay_bill_that_cannot_be_downloaded_is_its_own_exit_status(client, login_as, world, alipay,
                                                                        runner, app, monkeypatch):
    login_as(world.donor)
    donation = _alipay_gift(client, world, alipay)
    monkeypatch.setitem(app.config, "ALIPAY_GATEWAY", "http://127.0.0.1:9/gateway.do")  # nothing listens there
    day = _day(donation)
    result = _reconcile(runner, day)
    assert result.exit_code == 4, result.output
    assert f"alipay bill of {day}: not compared: " in result.output
    assert "1 bill(s) could not be compared" in result.output and "agree" not in result.output


def test_bill_date_needs_a_rail_that_publishes_bills(world, runner, app, monkeypatch):
    monkeypatch.setitem(app.config, "PAYMENT_PROVIDERS", "sandbox,offline")
    result = _reconcile(runner, "2026-12-07")
    assert result.exit_code == 2
    assert "no enabled payment rail publishes a daily bill" in result.output


# --- the worker's daily job ---------------------------------------------------------------------------------

def test_the_bills_job_runs_daily_at_half_past_ten_in_china():
    from portal import worker

    task = worker.payments_bills.task_class()
    assert task.validate_datetime(datetime(2026, 12, 8, 2, 30))  # Huey's clock is UTC: 10:30 in China
    assert not task.validate_datetime(datetime(2026, 12, 8, 10, 30))
    assert not task.validate_datetime(datetime(2026, 12, 8, 2, 31))


def test_the_bills_job_logs_and_audits_each_rail_s_differences(client, login_as, world, wechat, alipay,
                                                               app, monkeypatch, caplog):
    from portal import worker

    monkeypatch.setitem(app.config, "PAYMENT_PROVIDERS", "wechatpay,alipay,sandbox,offline")
    login_as(world.donor)
    by_wechat = _wechat_gift(client, world, wechat)
    by_alipay = _alipay_gift(client, world, alipay)
    wechat.bill_paid_fen[by_wechat.provider_session_id] = 4_900
    alipay.bill_amounts[by_alipay.provider_session_id] = "51.00"
    worker.use_app(app)
    with caplog.at_level(logging.WARNING, logger="portal.payments"):
        assert worker.payments_bills.call_local() == {"wechatpay": 1, "alipay": 1}
    warnings = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert any(f"order {by_wechat.provider_session_id} paid 49.00" in line for line in warnings), warnings
    assert any(f"paid ¥51 at Alipay, donation {by_alipay.id}" in line for line in warnings), warnings
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "provider_bill.differences")
                                .order_by(AuditEvent.id)).all()
    assert [(event.after["provider"], event.after["count"]) for event in events] == [("wechatpay", 1), ("alipay", 1)]
    assert events[0].object_type == "provider_bill" and events[0].actor_id is None


def test_the_bills_job_audits_a_bill_that_failed_its_check(client, login_as, world, wechat, app):
    from portal.payments.bills import check_bills

    login_as(world.donor)
    donation = _wechat_gift(client, world, wechat)
    wechat.tamper_download = True
    day = donation.succeeded_at.astimezone(ZoneInfo("Asia/Shanghai")).date()
    assert check_bills(day) == {"wechatpay": "unavailable"}
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "provider_bill.unavailable"))
    assert event.object_id == f"wechatpay:{day}" and "SHA1" in event.after["problem"]
