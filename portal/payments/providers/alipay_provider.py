"""Alipay (支付宝) behind the provider interface: the only module that imports the Alipay SDK.

SDK: `python-alipay-sdk` (import name `alipay`, https://github.com/fzlee/alipay), chosen over Alipay's
official `alipay-sdk-python` because it is small (one module, pycryptodomex for RSA2), signs every request and
verifies every synchronous answer's RSA2 signature itself (`verified_sync_response`), and exposes the
notification check (`verify`) as one call. The official SDK is a generated tree of thousands of model classes
whose package also installs as `alipay`, so the two cannot live side by side. The one thing python-alipay-sdk
does not take as a parameter is the gateway address (it picks the production or the sandbox gateway from
`debug`); `_GatewayAliPay` sets it from ALIPAY_GATEWAY, which the tests point at a local fake.

Flows: a desktop donor scans a QR code (alipay.trade.precreate answers `qr_code`; Checkout.kind "qr"); a phone
is sent to the WAP cashier (alipay.trade.wap.pay, a signed redirect; `start_checkout(..., mobile=True)`).
The order number (`out_trade_no`, letters, digits and `_` only) is `donation_<id>_<deployment>` and is stored
as the gift's provider_session_id: only that stored number ever finds a gift.

Notifications (POST /webhooks/alipay, form-encoded): the RSA2 signature over the sorted parameters (without
`sign` and `sign_type`) is checked with the Alipay public key, then `app_id`; the notification becomes an event
in Stripe's shape so that the one idempotent event path (portal.payments.webhooks) applies it: a paid trade
(TRADE_SUCCESS / TRADE_FINISHED) is `checkout.session.completed` with the amount converted from yuan to fen
exactly (Decimal; a fraction of a fen is no amount at all, so the gift is flagged, never credited), a closed
unpaid trade is `checkout.session.expired`, a refund (`refund_fee`, Alipay's running total) is
`charge.refunded`, anything else (WAIT_BUYER_PAY) is stored and ignored. The event id is `alipay_<notify_id>`.
A notification that never comes is replaced by alipay.trade.query (`query_order`, asked by the one late-order
job of every rail, portal.payments.late_orders). Monthly giving is not offered: Alipay's recurring deduction
(周期扣款) needs a signed agreement product this portal does not use.
"""
import io
import os
import zipfile
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from urllib.parse import parse_qsl
from urllib.request import urlopen
from zoneinfo import ZoneInfo

from alipay import AliPay
from alipay.exceptions import AliPayException, AliPayValidationError
from alipay.utils import AliPayConfig

from portal.payments.models import Donation
from portal.payments.providers.base import (
    Checkout,
    PaymentProvider,
    ProviderError,
    ProviderEvent,
    RefundResult,
    SignatureError,
)

ORDER_PREFIX = "donation_"
EVENT_PREFIX = "alipay_"
PAID = ("TRADE_SUCCESS", "TRADE_FINISHED")
SHANGHAI = ZoneInfo("Asia/Shanghai")
PRODUCTION_GATEWAY = "https://openapi.alipay.com/gateway.do"
QR_TIMEOUT = "2h"  # an unpaid QR code closes itself after this (Alipay's timeout_express)


class _GatewayAliPay(AliPay):
    """python-alipay-sdk's client on a gateway of our choosing (production, Alipay's sandbox, the tests' fake)."""

    def __init__(self, gateway: str, **kwargs):
        super().__init__(**kwargs)
        self._gateway = gateway


def _key_text(value: str | None, kind: str) -> str | bytes:
    """A key from the environment: PEM text, a path to a PEM file, or the bare base64 Alipay's tool shows."""
    if not value:
        raise ProviderError(f"{kind} is not set")
    value = value.strip()
    if "-----BEGIN" in value:
        return value
    if os.path.isfile(value):
        with open(value, encoding="utf-8") as handle:
            return handle.read()
    import base64

    try:
        return base64.b64decode("".join(value.split()), validate=True)  # DER, read as such by importKey
    except ValueError as error:
        raise ProviderError(f"{kind} is neither PEM, nor a file, nor base64") from error


MOBILE_MARKERS = ("Mobile", "Android", "iPhone", "iPad", "MicroMessenger", "AlipayClient")


def _is_phone() -> bool:
    from flask import has_request_context, request

    return has_request_context() and any(marker in (request.user_agent.string or "") for marker in MOBILE_MARKERS)


def _pay_page(gift, qr_code: str) -> str:
    """Where a desktop donor goes: the portal's pay page showing the QR code, where the app has one
    (payments.pay_gift, the QR rails' page), else Alipay's own link of the code."""
    from flask import url_for
    from werkzeug.routing import BuildError

    try:
        return url_for("payments.pay_gift", donation_id=gift.id, _external=True)
    except BuildError:
        return qr_code


def _safe(text: str) -> str:
    return "".join(ch for ch in text if ch.isalnum())


def yuan(amount_minor: int) -> str:
    """Fen -> Alipay's yuan string with two decimals (8880 -> "88.80")."""
    return f"{amount_minor // 100}.{amount_minor % 100:02d}"


def fen(total_amount) -> int | None:
    """Alipay's yuan string -> fen, exactly; None when it is not a whole number of fen (or not a number)."""
    try:
        value = Decimal(str(total_amount)) * 100
    except (InvalidOperation, TypeError, ValueError):
        return None
    if not value.is_finite() or value != value.to_integral_value():
        return None
    return int(value)


def _timestamp(text) -> int | None:
    try:
        return int(datetime.strptime(str(text), "%Y-%m-%d %H:%M:%S").replace(tzinfo=SHANGHAI).timestamp())
    except ValueError:
        return None


MAX_BILL_BYTES = 64 * 1024 * 1024
DETAIL_SUFFIX = "业务明细.csv"  # beside it in the zip: `..._业务明细(汇总).csv`, the day's totals


def _zip_name(info: zipfile.ZipInfo) -> str:
    """The member's name: Alipay writes GBK names without the zip's UTF-8 flag (read as cp437 by zipfile)."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("gb18030")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def _detail_csv(content: bytes, day) -> str:
    """The 业务明细 CSV of a downloaded bill zip, as text (GBK as Alipay writes it, or UTF-8)."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            details = [info for info in archive.infolist() if _zip_name(info).endswith(DETAIL_SUFFIX)]
            if len(details) != 1:
                raise ProviderError(f"alipay bill of {day}: the zip holds {len(details)} 业务明细 files, not one")
            if details[0].file_size > MAX_BILL_BYTES:
                raise ProviderError(f"alipay bill of {day}: the 业务明细 file is too large")
            raw = archive.read(details[0])
    except (zipfile.BadZipFile, OSError) as error:
        raise ProviderError(f"alipay bill of {day}: the download is not a zip file: {error}") from error
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ProviderError(f"alipay bill of {day}: the 业务明细 file is neither UTF-8 nor GBK")


def _empty_bill(day) -> str:
    """A bill without rows for `day`, with the date line and header alipay_bill.read_bill reads."""
    start = datetime(day.year, day.month, day.day)
    end = start + timedelta(days=1)
    return (f"#起始日期：[{start:%Y年%m月%d日} 00:00:00]   终止日期：[{end:%Y年%m月%d日} 00:00:00]\n"
            "支付宝交易号,商户订单号,业务类型,订单金额（元）\n")


class AlipayProvider(PaymentProvider):
    name = "alipay"
    online = True
    settles_at_once = False
    #: Alipay recurring deduction is a separate signed-agreement product; the portal offers one-off gifts only.
    supports_monthly = False

    def __init__(self, config):
        self.app_id = config.get("ALIPAY_APP_ID")
        self.private_key = config.get("ALIPAY_APP_PRIVATE_KEY")
        self.public_key = config.get("ALIPAY_PUBLIC_KEY")
        self.gateway = config.get("ALIPAY_GATEWAY") or PRODUCTION_GATEWAY
        self.deployment_id = config.get("PORTAL_DEPLOYMENT_ID") or ""

    def _client(self) -> AliPay:
        if not self.app_id:
            raise ProviderError("ALIPAY_APP_ID is not set")
        try:
            return _GatewayAliPay(self.gateway, appid=self.app_id,
                                  app_private_key_string=_key_text(self.private_key, "ALIPAY_APP_PRIVATE_KEY"),
                                  alipay_public_key_string=_key_text(self.public_key, "ALIPAY_PUBLIC_KEY"),
                                  sign_type="RSA2", config=AliPayConfig(timeout=15))
        except (ValueError, IndexError, TypeError) as error:
            raise ProviderError(f"alipay keys cannot be read: {error}") from error

    def _call(self, what: str, method, **kwargs) -> dict:
        """One server API call; its answer's signature is verified by the SDK. Raises ProviderError."""
        try:
            answer = method(**kwargs)
        except AliPayValidationError as error:
            raise ProviderError(f"alipay {what}: the answer's signature is wrong") from error
        except (AliPayException, OSError, ValueError) as error:
            raise ProviderError(f"alipay {what}: {error}") from error
        if not isinstance(answer, dict):
            raise ProviderError(f"alipay {what}: not an answer")
        return answer

    # --- order numbers ----------------------------------------------------------------------------
    def order_number(self, gift) -> str:
        return f"{ORDER_PREFIX}{gift.id}_{_safe(self.deployment_id)}"[:64]

    def _claimed(self, out_trade_no) -> tuple[int | None, str | None]:
        """(donation id, deployment) an order number names; the deployment as configured when it is ours."""
        if not isinstance(out_trade_no, str) or not out_trade_no.startswith(ORDER_PREFIX):
            return None, None
        number, _sep, deployment = out_trade_no[len(ORDER_PREFIX):].partition("_")
        if not number.isdigit():
            return None, None
        if deployment == _safe(self.deployment_id)[:64 - len(ORDER_PREFIX) - len(number) - 1]:
            deployment = self.deployment_id
        return int(number), deployment or None

    # --- checkout ---------------------------------------------------------------------------------
    def start_checkout(self, gift, success_url: str, cancel_url: str, *, mobile: bool | None = None) -> Checkout:
        """A QR code (desktop) or the WAP cashier (phone: `mobile`, or else a phone's user agent)."""
        if mobile is None:
            mobile = _is_phone()
        if not isinstance(gift, Donation):
            raise ProviderError("alipay takes one-off gifts only")
        if gift.currency != "CNY":
            raise ProviderError(f"alipay takes CNY only, not {gift.currency}")
        from flask import url_for

        what = (gift.campaign.title if gift.campaign is not None else gift.fund.name)[:128]
        order = self.order_number(gift)
        notify_url = url_for("payments.alipay_webhook", _external=True)
        client = self._client()
        if mobile:
            query = client.api_alipay_trade_wap_pay(subject=what, out_trade_no=order,
                                                    total_amount=yuan(gift.amount_minor), return_url=success_url,
                                                    notify_url=notify_url, quit_url=cancel_url,
                                                    timeout_express=QR_TIMEOUT)
            return Checkout(session_id=order, url=f"{self.gateway}?{query}")
        answer = self._call("precreate", client.api_alipay_trade_precreate, subject=what, out_trade_no=order,
                            total_amount=yuan(gift.amount_minor), notify_url=notify_url,
                            timeout_express=QR_TIMEOUT)
        if answer.get("code") != "10000" or not answer.get("qr_code"):
            raise ProviderError(f"alipay precreate of {order}: {answer.get('sub_code')} {answer.get('sub_msg')}")
        return Checkout(session_id=order, url=_pay_page(gift, answer["qr_code"]), kind="qr",
                        qr_payload=answer["qr_code"])

    # --- refunds and subscriptions -----------------------------------------------------------------
    def refund(self, donation, refund) -> RefundResult:
        if not donation.provider_session_id:
            raise ProviderError(f"donation {donation.id} has no Alipay order to refund")
        # out_request_no identifies this partial refund at Alipay; a repeat of it refunds nothing more
        request_no = f"refund_{refund.id}_{int(refund.created_at.timestamp() * 1_000_000)}"
        answer = self._call("refund", self._client().api_alipay_trade_refund,
                            refund_amount=yuan(refund.amount_minor), out_trade_no=donation.provider_session_id,
                            out_request_no=request_no, refund_reason=(refund.reason or "")[:256])
        if answer.get("code") != "10000":
            raise ProviderError(f"alipay refund of donation {donation.id}: {answer.get('sub_code')}")
        # fund_change Y: money moved now; N: already refunded by an earlier call, the notification settles it
        status = "succeeded" if answer.get("fund_change") == "Y" else "pending"
        return RefundResult(provider_refund_id=request_no, status=status)

    def cancel_subscription(self, recurring_gift) -> None:
        raise ProviderError("alipay gifts are one-off; there is no subscription to cancel")

    def close_order(self, donation) -> bool:
        """Close an unpaid order at Alipay, so its QR code can no longer take money. ACQ.TRADE_NOT_EXIST: the
        code was never scanned, and past order_lifetime its timeout_express has ended it. Alipay refuses to close
        a paid (or already closed) trade (ACQ.TRADE_STATUS_ERROR): False, the query that follows says which."""
        if not donation.provider_session_id:
            return True
        answer = self._call("close", self._client().api_alipay_trade_close, out_trade_no=donation.provider_session_id)
        if answer.get("code") == "10000" or answer.get("sub_code") == "ACQ.TRADE_NOT_EXIST":
            return True
        if answer.get("sub_code") == "ACQ.TRADE_STATUS_ERROR":
            return False
        raise ProviderError(f"alipay close of donation {donation.id}: {answer.get('sub_code')}")

    # --- late notifications: ask Alipay --------------------------------------------------------------
    #: an unpaid order closes at Alipay after QR_TIMEOUT; the portal closes it itself a little later
    order_lifetime = timedelta(hours=2, minutes=15)

    def query_order(self, gift) -> ProviderEvent | None:
        """The trade's final state as an event (paid, or closed), None while there is nothing final to say (no
        trade yet, or WAIT_BUYER_PAY)."""
        if not gift.provider_session_id:
            return None
        event = self.query_trade(gift)
        return event if event is not None and not event.type.startswith("alipay.") else None

    def query_trade(self, donation) -> ProviderEvent | None:
        """The trade's state at Alipay as an event (id per order and state), or None when Alipay has no
        trade yet (the donor never scanned the code)."""
        order = donation.provider_session_id
        answer = self._call("query", self._client().api_alipay_trade_query, out_trade_no=order)
        if answer.get("code") != "10000":
            if answer.get("sub_code") == "ACQ.TRADE_NOT_EXIST":
                return None
            raise ProviderError(f"alipay query of {order}: {answer.get('sub_code')} {answer.get('sub_msg')}")
        if answer.get("out_trade_no") != order:
            raise ProviderError(f"alipay query of {order} answered for {answer.get('out_trade_no')}")
        status = str(answer.get("trade_status") or "")
        return self._event(f"{EVENT_PREFIX}query_{order}_{status}"[:255], answer, created=None)

    # --- the daily bill (业务明细) ---------------------------------------------------------------------
    def download_bill(self, day) -> str:
        """alipay.data.dataservice.bill.downloadurl.query (bill_type trade) answers, signed, a short-lived
        bill_download_url; that address serves a zip whose `..._业务明细.csv` (GBK) is the bill
        portal/payments/alipay_bill.py reads (the `(汇总)` summary file beside it is left). A day Alipay has no
        bill for (isp.bill_not_exist) is a bill without rows, so gifts credited that day are still missed."""
        client = self._client()
        data = client.build_body("alipay.data.dataservice.bill.downloadurl.query",
                                 {"bill_type": "trade", "bill_date": day.isoformat()})
        answer = self._call("bill address", client.verified_sync_response, data=data,
                            response_type="alipay_data_dataservice_bill_downloadurl_query_response")
        if answer.get("code") != "10000":
            if answer.get("sub_code") == "isp.bill_not_exist":
                return _empty_bill(day)
            raise ProviderError(f"alipay bill of {day}: {answer.get('sub_code')} {answer.get('sub_msg')}")
        url = str(answer.get("bill_download_url") or "")
        if not url.startswith(("https://", "http://")):
            raise ProviderError(f"alipay bill of {day}: no bill_download_url")
        try:
            with urlopen(url, timeout=30) as response:  # noqa: S310  (an address from Alipay's verified answer)
                content = response.read(MAX_BILL_BYTES + 1)
        except OSError as error:
            raise ProviderError(f"alipay bill of {day}: download failed: {error}") from error
        if len(content) > MAX_BILL_BYTES:
            raise ProviderError(f"alipay bill of {day}: the download is larger than {MAX_BILL_BYTES} bytes")
        return _detail_csv(content, day)

    # --- notifications ------------------------------------------------------------------------------
    def parse_webhook(self, raw_body: bytes, headers) -> ProviderEvent:
        if not self.public_key or not self.app_id:
            raise SignatureError("ALIPAY_PUBLIC_KEY or ALIPAY_APP_ID is not set")
        try:
            fields = dict(parse_qsl(raw_body.decode("utf-8"), keep_blank_values=True, strict_parsing=True))
        except (UnicodeDecodeError, ValueError) as error:
            raise SignatureError("not a form-encoded Alipay notification") from error
        signature = fields.pop("sign", None)
        sign_type = fields.pop("sign_type", None)
        if not signature:
            raise SignatureError("no sign")
        if sign_type != "RSA2":
            raise SignatureError(f"sign_type {sign_type!r} is not RSA2")
        try:
            client = self._client()
            verified = client.verify(dict(fields), signature)
        except (ProviderError, AliPayException, ValueError, TypeError) as error:
            raise SignatureError(f"signature not checked: {error}") from error
        if not verified:
            raise SignatureError("wrong signature")
        if fields.get("app_id") != self.app_id:
            raise SignatureError("notification for another app_id")
        if not fields.get("notify_id") or not fields.get("out_trade_no"):
            raise SignatureError("not a trade notification")
        return self._event(EVENT_PREFIX + fields["notify_id"][:200], fields,
                           created=_timestamp(fields.get("notify_time")))

    def _event(self, event_id: str, trade: dict, created: int | None) -> ProviderEvent:
        """A trade (notification or query answer) as an event in Stripe's shape, for portal.payments.webhooks."""
        order = str(trade.get("out_trade_no") or "")
        status = str(trade.get("trade_status") or "")
        claimed, deployment = self._claimed(order)
        currency = str(trade.get("trans_currency") or "CNY").lower()
        metadata = {"alipay_trade_status": status}
        if deployment:
            metadata["portal_deployment"] = deployment
        if trade.get("refund_fee") not in (None, "") and fen(trade.get("refund_fee")):
            # found by Alipay's trade_no (stored on the donation when it was credited), never by the order
            # number alone; a refund notified before its payment waits for it (deferred)
            event_type = "charge.refunded"
            obj = {"id": trade.get("trade_no"), "object": "charge", "payment_intent": trade.get("trade_no"),
                   "amount_refunded": fen(trade["refund_fee"]), "currency": currency, "metadata": metadata}
        else:
            if status in PAID:
                event_type = "checkout.session.completed"
            elif status == "TRADE_CLOSED":
                event_type = "checkout.session.expired"
            else:
                event_type = f"alipay.{status.lower() or 'unknown'}"[:64]
            obj = {"id": order, "object": "checkout.session", "mode": "payment",
                   "client_reference_id": (f"donation-{claimed}-{deployment}" if claimed is not None else None),
                   "amount_total": fen(trade.get("total_amount")), "currency": currency,
                   "payment_status": "paid" if status in PAID else "unpaid",
                   "payment_intent": trade.get("trade_no") or None, "metadata": metadata}
        payload = {"id": event_id, "object": "event", "type": event_type, "created": created,
                   "data": {"object": obj}, "alipay": {key: str(value)[:512] for key, value in trade.items()
                                                       if not isinstance(value, (dict, list))}}
        return ProviderEvent(id=event_id, type=event_type, created=created, payload=payload)

