"""Providers' statements against the ledger: WeChat Pay's daily trade bill (`portal reconcile --bill wechatpay=FILE`)
and Alipay's (`--bill alipay=FILE`, read by portal/payments/alipay_bill.py), or both downloaded through the
providers' APIs (`portal reconcile --bill-date YYYY-MM-DD`, and the worker's daily `payments_bills`: check_bills).

The trade bill (交易账单, bill_type ALL, downloaded with GET /v3/bill/tradebill) is a CSV: a header row, one row per
payment or refund (every value prefixed with a backtick), then a summary header and row. Amounts are yuan with
two decimals. Each line returned names one order whose amount or state differs from the ledger; an order of
another merchant or deployment (an out_trade_no without our deployment tag) is left alone.
"""
import contextlib
import csv
import io
import logging
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from portal.audit import service as audit
from portal.audit.service import SYSTEM
from portal.core.time import utcnow
from portal.extensions import db
from portal.funds import hooks
from portal.payments.models import ALIPAY, WECHATPAY, Donation, Refund

SHANGHAI = ZoneInfo("Asia/Shanghai")
COUNTED = ("succeeded", "partially_refunded", "refunded", "disputed")
# the columns the comparison reads, by their header in WeChat Pay's bill
TIME, ORDER, STATE, AMOUNT, REFUND_ID, REFUND, REFUND_STATE = (
    "交易时间", "商户订单号", "交易状态", "订单金额", "微信退款单号", "退款金额", "退款状态")


def _yuan(fen: int) -> str:
    """Two decimals, as the bill writes amounts."""
    return f"{'-' if fen < 0 else ''}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def _fen(value: str) -> int | None:
    try:
        return int((Decimal(value) * 100).to_integral_exact())
    except (InvalidOperation, ValueError):
        return None


def parse_wechatpay_bill(text: str) -> list[dict]:
    """The bill's payment and refund rows as dicts (header -> value without the backtick); the summary is left."""
    rows = list(csv.reader(io.StringIO(text.strip())))
    if not rows or ORDER not in [cell.strip() for cell in rows[0]]:
        raise ValueError("not a WeChat Pay trade bill (no 商户订单号 column)")
    header = [cell.strip() for cell in rows[0]]
    result = []
    for row in rows[1:]:
        if row and row[0].strip().startswith("总"):  # 总交易单数,...: the summary starts
            break
        result.append({name: value.strip().lstrip("`") for name, value in zip(header, row, strict=False)})
    return result


@hooks.bill_differences.register
def bill_differences(provider: str, text: str, day: date | None = None) -> list[str] | None:
    """`day`: the day a downloaded bill was asked for. It is covered even when WeChat Pay had no statement for it
    (NO_STATEMENT_EXIST: a bill without rows, so without dates), so a gift credited that day is listed as missing."""
    if provider != WECHATPAY:
        return None
    from portal.payments.providers import get_provider

    try:
        rows = parse_wechatpay_bill(text)
    except ValueError as error:
        return [f"wechatpay bill: {error}"]
    tag = "x" + get_provider(WECHATPAY, current_app.config).tag
    lines, paid_orders, dates = [], set(), {day} if day else set()
    for row in rows:
        order, state = row.get(ORDER, ""), row.get(STATE, "")
        with contextlib.suppress(ValueError):  # the days the bill covers, from every row
            dates.add(datetime.strptime(row.get(TIME, ""), "%Y-%m-%d %H:%M:%S").date())
        if not order.endswith(tag):
            continue
        donation = db.session.scalar(select(Donation).where(Donation.provider == WECHATPAY,
                                                            Donation.provider_session_id == order))
        if state == "REFUND":
            lines += _refund_difference(order, row, donation)
            continue
        if state != "SUCCESS":
            continue
        paid_orders.add(order)
        amount = _fen(row.get(AMOUNT, ""))
        if donation is None:
            lines.append(f"wechatpay bill: order {order} paid {row.get(AMOUNT)} but the portal has no such gift")
        elif donation.status not in COUNTED:
            lines.append(f"wechatpay bill: order {order} paid {row.get(AMOUNT)} but donation {donation.id} is "
                         f"{donation.status} (nothing credited)")
        elif amount != donation.amount_minor:
            lines.append(f"wechatpay bill: order {order} paid {row.get(AMOUNT)}, the ledger has donation "
                         f"{donation.id} at {_yuan(donation.amount_minor)}")
    for donation in db.session.scalars(select(Donation).where(Donation.provider == WECHATPAY,
                                                              Donation.status.in_(COUNTED),
                                                              Donation.succeeded_at.is_not(None))
                                       .order_by(Donation.id)):
        day = donation.succeeded_at.astimezone(SHANGHAI).date()
        if day in dates and donation.provider_session_id not in paid_orders:
            lines.append(f"wechatpay bill: donation {donation.id} (order {donation.provider_session_id}) is credited "
                         f"but not on WeChat Pay's bill")
    return lines


@hooks.bill_differences.register
def alipay_bill_differences(provider: str, text: str, day: date | None = None) -> list[str] | None:
    """Alipay's 业务明细 bill, by the same check as `portal payments alipay-bill` (imported here only when asked,
    since it loads Alipay's SDK). `day` is not needed: an Alipay bill, even an empty one, states its dates."""
    if provider != ALIPAY:
        return None
    from portal.payments.alipay_bill import BillError
    from portal.payments.alipay_bill import bill_differences as alipay_differences

    try:
        return alipay_differences(text)
    except BillError as error:
        return [f"alipay bill: not an Alipay trade bill: {error}"]


def _refund_difference(order: str, row: dict, donation: Donation | None) -> list[str]:
    refund_id, amount = row.get(REFUND_ID, ""), _fen(row.get(REFUND, ""))
    refund = db.session.scalar(select(Refund).where(Refund.provider_refund_id == refund_id)) if refund_id else None
    if refund is None or donation is None or refund.donation_id != donation.id:
        return [f"wechatpay bill: refund {refund_id} of order {order} ({row.get(REFUND)}) is not on the ledger"]
    if row.get(REFUND_STATE, "SUCCESS") == "SUCCESS" and refund.status != "succeeded":
        return [f"wechatpay bill: refund {refund_id} of order {order} succeeded but refund {refund.id} is "
                f"{refund.status}"]
    if amount != refund.amount_minor:
        return [f"wechatpay bill: refund {refund_id} of order {order} is {row.get(REFUND)}, the ledger has "
                f"{_yuan(refund.amount_minor)}"]
    return []


# --- bills downloaded through the providers' APIs ----------------------------------------------------------

log = logging.getLogger("portal.payments")
#: at most this many difference lines are kept in one audit event (the log has them all)
AUDITED_LINES = 50


@hooks.downloaded_bills.register
def download_bills(day: date) -> list[tuple[str, str | None, str | None]]:
    """(rail, bill text, None) for each enabled rail that publishes a bill of `day`; (rail, None, why) when its
    bill could not be downloaded or did not pass its check."""
    from portal.payments.providers import enabled_provider_names, get_provider
    from portal.payments.providers.base import ProviderError

    results = []
    for name in enabled_provider_names(online_only=True):
        try:
            text = get_provider(name).download_bill(day)
        except ProviderError as error:
            results.append((name, None, str(error)))
            continue
        if text is not None:
            results.append((name, text, None))
    return results


def yesterday_in_china() -> date:
    return utcnow().astimezone(SHANGHAI).date() - timedelta(days=1)


def check_bills(day: date | None = None) -> dict:
    """The worker's daily step: download the bills of `day` (yesterday, China time) and compare them with the
    ledger. Every difference is logged at WARNING and, with a bill that could not be had, recorded in the audit
    log (`provider_bill.differences` / `provider_bill.unavailable`) for an administrator. Returns {rail: number of
    differences, or "unavailable"}."""
    day = day or yesterday_in_china()
    summary = {}
    for provider, text, problem in download_bills(day):
        if problem is not None:
            log.warning("payments_bills: %s bill of %s not compared: %s", provider, day, problem)
            audit.record("provider_bill.unavailable", "provider_bill", f"{provider}:{day}", actor=SYSTEM,
                         after={"provider": provider, "bill_date": day.isoformat(), "problem": problem[:500]})
            summary[provider] = "unavailable"
            continue
        lines = [line for answer in hooks.bill_differences(provider, text, day) if answer is not None
                 for line in answer]
        for line in lines:
            log.warning("payments_bills: %s", line)
        if lines:
            audit.record("provider_bill.differences", "provider_bill", f"{provider}:{day}", actor=SYSTEM,
                         after={"provider": provider, "bill_date": day.isoformat(), "count": len(lines),
                                "differences": lines[:AUDITED_LINES]})
        summary[provider] = len(lines)
    return summary
