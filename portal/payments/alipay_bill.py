"""Alipay's daily trade bill (业务明细, the CSV Alipay publishes per day) against the ledger.

`portal reconcile --bill alipay=FILE` (or `portal payments alipay-bill FILE`) lists every order whose amount or
state differs: paid at Alipay but not a credited gift of ours (or for another amount), refunded at Alipay for
another sum than the ledger's refunds, and Alipay gifts credited within the bill's dates that the bill does not
list. Exit status 0 when they agree, 1 when anything differs (as `portal reconcile`).

The file is the one downloaded from Alipay (alipay.data.dataservice.bill.downloadurl.query, or the merchant
site): GBK (UTF-8 is read too), `#` lines around a header row, cells padded with tabs. Columns are found by
their header (商户订单号, 业务类型, 订单金额（元）), so the optional columns may come and go.
"""
import csv
import io
import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from portal.core.money import format_yuan
from portal.extensions import db
from portal.payments.models import (
    ALIPAY,
    DISPUTED,
    PARTIALLY_REFUNDED,
    REFUNDED,
    SUCCEEDED,
    Donation,
)
from portal.payments.providers.alipay_provider import fen

CREDITED = (SUCCEEDED, PARTIALLY_REFUNDED, REFUNDED, DISPUTED)
ORDER, KIND, AMOUNT = "商户订单号", "业务类型", "订单金额（元）"
PAYMENT, REFUND = "交易", "退款"
_RANGE = re.compile(r"起始日期：\[(.+?)\].*终止日期：\[(.+?)\]")
SHANGHAI = ZoneInfo("Asia/Shanghai")


class BillError(ValueError):
    """The file is not an Alipay trade bill the portal can read."""


@dataclass
class Order:
    paid: int = 0
    refunded: int = 0


def _text(raw: bytes | str) -> str:
    if isinstance(raw, str):
        return raw
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise BillError("the bill is neither UTF-8 nor GBK")


def _date(text: str) -> datetime:
    return datetime.strptime(text.strip(), "%Y年%m月%d日 %H:%M:%S").replace(tzinfo=SHANGHAI)


def read_bill(raw: bytes | str) -> tuple[dict[str, Order], tuple[datetime, datetime] | None]:
    """{order number: paid and refunded fen} and the bill's [start, end) when it says so."""
    text = _text(raw)
    span = None
    rows = []
    for line in text.splitlines():
        if line.startswith("#"):
            found = _RANGE.search(line)
            if found:
                span = (_date(found.group(1)), _date(found.group(2)))
            continue
        if line.strip():
            rows.append(line)
    table = [[cell.strip() for cell in row] for row in csv.reader(io.StringIO("\n".join(rows)))]
    if not table or not {ORDER, KIND, AMOUNT} <= set(table[0]):
        raise BillError(f"no header row with {ORDER}, {KIND} and {AMOUNT}")
    header = table[0]
    at = {name: header.index(name) for name in (ORDER, KIND, AMOUNT)}
    orders: dict[str, Order] = {}
    for number, row in enumerate(table[1:], start=2):
        if len(row) <= max(at.values()):
            raise BillError(f"row {number} is too short")
        amount = fen(row[at[AMOUNT]])
        if amount is None:
            raise BillError(f"row {number}: {row[at[AMOUNT]]!r} is not an amount in yuan")
        order = orders.setdefault(row[at[ORDER]], Order())
        if row[at[KIND]] == REFUND:
            order.refunded += abs(amount)
        elif row[at[KIND]] == PAYMENT:
            order.paid += amount
    return orders, span


def bill_differences(raw: bytes | str) -> list[str]:
    """Every order whose amount or state differs between the bill and the ledger, as lines for people."""
    orders, span = read_bill(raw)
    lines = []
    donations = {d.provider_session_id: d for d in db.session.scalars(
        select(Donation).where(Donation.provider == ALIPAY, Donation.provider_session_id.in_(list(orders))))}
    for number, order in sorted(orders.items()):
        donation = donations.get(number)
        if donation is None:
            if order.paid:
                lines.append(f"alipay order {number}: paid ¥{format_yuan(order.paid)} at Alipay, no gift of ours")
            continue
        if order.paid and donation.status not in CREDITED:
            lines.append(f"alipay order {number}: paid ¥{format_yuan(order.paid)} at Alipay, donation {donation.id} "
                         f"is {donation.status}")
        elif order.paid and order.paid != donation.amount_minor:
            lines.append(f"alipay order {number}: paid ¥{format_yuan(order.paid)} at Alipay, donation {donation.id} "
                         f"is ¥{format_yuan(donation.amount_minor)}")
        if order.refunded != donation.refunded_minor and (order.refunded or order.paid):
            lines.append(f"alipay order {number}: refunded ¥{format_yuan(order.refunded)} at Alipay, "
                         f"¥{format_yuan(donation.refunded_minor)} on donation {donation.id}")
    if span is not None:
        missing = db.session.scalars(select(Donation).where(
            Donation.provider == ALIPAY, Donation.status.in_(CREDITED), Donation.succeeded_at >= span[0],
            Donation.succeeded_at < span[1]).order_by(Donation.id))
        for donation in missing:
            if donation.provider_session_id not in orders:
                lines.append(f"donation {donation.id}: credited ¥{format_yuan(donation.amount_minor)} from Alipay "
                             f"order {donation.provider_session_id}, not in Alipay's bill")
    return lines
