"""WeChat Pay (微信支付) API v3 behind the provider interface: the only module that imports `wechatpayv3`.

Why this SDK: WeChat Pay publishes no official Python SDK for API v3; `wechatpayv3`
(https://github.com/minibear2021/wechatpayv3) is the kept community one (releases since 2021, MIT, built on
`cryptography` and `requests`), signs requests (WECHATPAY2-SHA256-RSA2048), verifies answers and callbacks
against the platform public key ("公钥模式", no certificate download) and decrypts AEAD_AES_256_GCM resources.
Its gateway is fixed to https://api.mch.weixin.qq.com; WECHATPAY_API_BASE (the tests' local fake) replaces
that one attribute (`_core._gate_way`), the only private name we touch, and the SDK's own code runs unchanged.

- Desktop: a Native order (`code_url`), shown as a QR code on the portal's pay page (/give/<id>/pay), which
  polls the gift's status. Phone (a mobile user agent): an H5 order; the pay page links to WeChat's cashier
  (a link the donor follows: the page's `form-action 'self'` would stop a redirect after the give form), whose
  `redirect_url` brings the donor back to the same page. Monthly gifts: not offered (WeChat's 委托代扣 needs a
  separate contract).
- The order id (`out_trade_no`) is `g<donation id>x<12 hex of the deployment id>`: at most 32 characters,
  unique per deployment, stored as the donation's provider_session_id. A notification is found only by it.
- Callbacks: Wechatpay-Timestamp within 5 minutes, Wechatpay-Serial equal to our platform key id, the
  signature over "timestamp\\nnonce\\nbody\\n" (RSA-SHA256, platform public key), then the resource decrypted
  with the API v3 key. The transaction becomes an event in Stripe's shape (checkout.session.completed and
  friends) and goes through portal.payments.webhooks.receive_event like Stripe's: stored once by id
  `wxpay_<transaction id>_<trade state>`, so a callback and the active query (查单) of the same payment are
  one event, whichever comes first.
"""
import gzip
import hashlib
import json
import os
import time
from datetime import timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

from flask import has_request_context, request, url_for
from wechatpayv3 import WeChatPay, WeChatPayType

from portal.payments.models import Donation
from portal.payments.providers.base import (
    PAGE,
    QR,
    Checkout,
    PaymentProvider,
    ProviderError,
    ProviderEvent,
    RefundResult,
    SignatureError,
)

CALLBACK_TOLERANCE_SECONDS = 300
SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"
# trade_state -> the event in Stripe's shape the webhooks module applies (NOTPAY / USERPAYING: nothing yet)
EVENT_OF_STATE = {"SUCCESS": "checkout.session.completed", "CLOSED": "checkout.session.expired",
                  "REVOKED": "checkout.session.expired", "PAYERROR": "checkout.session.async_payment_failed"}
MOBILE_MARKERS = ("Mobile", "Android", "iPhone", "iPad", "MicroMessenger")
#: An order can be paid for this long after its gift was started (WeChat Pay's `time_expire`); the worker then
#: closes it at WeChat Pay and the gift expires.
ORDER_LIFETIME = timedelta(hours=2)
SHANGHAI = ZoneInfo("Asia/Shanghai")
#: the bill of a day without trades: its header alone (portal/payments/bills.py reads the columns by name)
EMPTY_BILL = "交易时间,商户订单号,交易状态,订单金额\n"


def _pem(value: str | None) -> str | None:
    """PEM text as given, or read from the file the value names."""
    if value and "-----BEGIN" not in value and os.path.isfile(value):
        with open(value, encoding="utf-8") as handle:
            return handle.read()
    return value


def is_phone() -> bool:
    if not has_request_context():
        return False
    agent = request.user_agent.string or ""
    return any(marker in agent for marker in MOBILE_MARKERS)


class WeChatPayProvider(PaymentProvider):
    name = "wechatpay"
    online = True
    settles_at_once = False
    supports_monthly = False
    order_lifetime = ORDER_LIFETIME

    def __init__(self, config):
        self.mchid = config.get("WECHATPAY_MCHID")
        self.appid = config.get("WECHATPAY_APPID")
        self.api_v3_key = config.get("WECHATPAY_API_V3_KEY")
        self.cert_serial = config.get("WECHATPAY_CERT_SERIAL")
        self.private_key = _pem(config.get("WECHATPAY_PRIVATE_KEY"))
        self.platform_key = _pem(config.get("WECHATPAY_PLATFORM_PUBLIC_KEY"))
        self.platform_key_id = config.get("WECHATPAY_PLATFORM_PUBLIC_KEY_ID")
        self.api_base = config.get("WECHATPAY_API_BASE")
        self.notify_url = config.get("WECHATPAY_NOTIFY_URL")
        self.deployment_id = config.get("PORTAL_DEPLOYMENT_ID") or ""
        self.tag = hashlib.sha256(self.deployment_id.encode()).hexdigest()[:12]

    def _client(self) -> WeChatPay:
        missing = [name for name, value in (("WECHATPAY_MCHID", self.mchid), ("WECHATPAY_APPID", self.appid),
                                            ("WECHATPAY_API_V3_KEY", self.api_v3_key),
                                            ("WECHATPAY_CERT_SERIAL", self.cert_serial),
                                            ("WECHATPAY_PRIVATE_KEY", self.private_key),
                                            ("WECHATPAY_PLATFORM_PUBLIC_KEY", self.platform_key),
                                            ("WECHATPAY_PLATFORM_PUBLIC_KEY_ID", self.platform_key_id)) if not value]
        if missing:
            raise ProviderError(f"WeChat Pay is not configured: {', '.join(missing)} not set")
        notify_url = self.notify_url or (url_for("payments.wechatpay_webhook", _external=True)
                                         if has_request_context() else None)
        try:
            client = WeChatPay(wechatpay_type=WeChatPayType.NATIVE, mchid=self.mchid, private_key=self.private_key,
                               cert_serial_no=self.cert_serial, appid=self.appid, apiv3_key=self.api_v3_key,
                               notify_url=notify_url, public_key=self.platform_key,
                               public_key_id=self.platform_key_id, timeout=(5, 15))
        except Exception as error:  # the SDK raises bare Exceptions for unreadable keys
            raise ProviderError(f"WeChat Pay keys: {error}") from error
        if self.api_base:
            client._core._gate_way = self.api_base.rstrip("/")
        return client

    def _call(self, what: str, function, **kwargs) -> tuple[int, dict]:
        try:
            code, text = function(**kwargs)
        except Exception as error:  # network errors, and an answer whose signature does not verify
            raise ProviderError(f"wechat pay {what}: {error}") from error
        try:
            body = json.loads(text) if text else {}
        except (TypeError, ValueError):
            body = {}
        return code, body if isinstance(body, dict) else {}

    def out_trade_no(self, gift) -> str:
        return f"g{gift.id}x{self.tag}"

    # --- checkout ---------------------------------------------------------------------------------
    def start_checkout(self, gift, success_url: str, cancel_url: str) -> Checkout:
        if not isinstance(gift, Donation):
            raise ProviderError("WeChat Pay takes one-off gifts only")
        client = self._client()
        out_trade_no = self.out_trade_no(gift)
        what = gift.campaign.title if gift.campaign is not None else gift.fund.name
        pay_page = url_for("payments.pay_gift", donation_id=gift.id, _external=True)
        params = dict(description=what[:120], out_trade_no=out_trade_no,
                      amount={"total": gift.amount_minor, "currency": gift.currency},
                      attach=json.dumps({"portal_deployment": self.deployment_id[:60]}),
                      time_expire=(gift.created_at + ORDER_LIFETIME).astimezone(SHANGHAI).isoformat(timespec="seconds"))
        if is_phone():
            scene = {"payer_client_ip": request.remote_addr or "127.0.0.1", "h5_info": {"type": "Wap"}}
            code, body = self._call("h5 order", client.pay, pay_type=WeChatPayType.H5, scene_info=scene, **params)
            if code != 200 or not body.get("h5_url"):
                raise ProviderError(f"wechat pay h5 order {out_trade_no}: {code} {body.get('code')}")
            joiner = "&" if "?" in body["h5_url"] else "?"
            cashier = f"{body['h5_url']}{joiner}redirect_url={quote(pay_page, safe='')}"
            return Checkout(session_id=out_trade_no, url=pay_page, kind=PAGE, pay_url=cashier)
        code, body = self._call("native order", client.pay, pay_type=WeChatPayType.NATIVE, **params)
        if code != 200 or not body.get("code_url"):
            raise ProviderError(f"wechat pay native order {out_trade_no}: {code} {body.get('code')}")
        return Checkout(session_id=out_trade_no, url=pay_page, kind=QR, qr_payload=body["code_url"])

    # --- the active query (查单) --------------------------------------------------------------------
    def query_order(self, gift) -> ProviderEvent | None:
        if not gift.provider_session_id:
            return None
        code, body = self._call("query", self._client().query, out_trade_no=gift.provider_session_id)
        if code == 404:
            return None
        if code != 200:
            raise ProviderError(f"wechat pay query {gift.provider_session_id}: {code} {body.get('code')}")
        return self.transaction_event(body)

    def close_order(self, gift) -> bool:
        """Close an unpaid order, so an expired gift's QR code can no longer be paid (refused by WeChat Pay,
        ORDER_PAID, when it was paid after all: False, and the next query credits it)."""
        if not gift.provider_session_id:
            return True
        code, body = self._call("close", self._client().close, out_trade_no=gift.provider_session_id)
        if code in (200, 204) or body.get("code") in ("ORDER_CLOSED", "ORDER_NOT_EXIST"):
            return True
        if body.get("code") == "ORDER_PAID":
            return False
        raise ProviderError(f"wechat pay close {gift.provider_session_id}: {code} {body.get('code')}")

    def transaction_event(self, transaction: dict, notification_id: str | None = None) -> ProviderEvent | None:
        """A WeChat Pay transaction (decrypted callback resource or query answer) as an event in Stripe's shape."""
        state = str(transaction.get("trade_state") or "")
        event_type = EVENT_OF_STATE.get(state)
        if event_type is None:
            return None
        out_trade_no = str(transaction.get("out_trade_no") or "")
        amount = transaction.get("amount") if isinstance(transaction.get("amount"), dict) else {}
        ours = out_trade_no.endswith(f"x{self.tag}") and str(transaction.get("mchid") or self.mchid) == self.mchid
        session = {"id": out_trade_no, "object": "checkout.session", "mode": "payment",
                   "amount_total": amount.get("total"), "currency": amount.get("currency"),
                   "payment_status": "paid" if state == "SUCCESS" else "unpaid",
                   "payment_intent": transaction.get("transaction_id") or None,
                   "metadata": {"portal_deployment": self.deployment_id if ours else f"not ours: {out_trade_no}"}}
        event_id = f"wxpay_{transaction.get('transaction_id') or out_trade_no}_{state}"[:255]
        created = int(time.time())
        payload = {"id": event_id, "object": "event", "type": event_type, "created": created,
                   "data": {"object": session},
                   "wechatpay": {"notification_id": notification_id, "transaction": transaction}}
        return ProviderEvent(id=event_id, type=event_type, created=created, payload=payload)

    def refund_event(self, resource: dict) -> ProviderEvent:
        """A refund notification's resource as a `provider.refund` event (portal.payments.webhooks)."""
        amount = resource.get("amount") if isinstance(resource.get("amount"), dict) else {}
        out_trade_no = str(resource.get("out_trade_no") or "")
        ours = out_trade_no.endswith(f"x{self.tag}") and str(resource.get("mchid") or self.mchid) == self.mchid
        status = str(resource.get("refund_status") or "")
        obj = {"refund_id": resource.get("refund_id"), "out_trade_no": out_trade_no, "status": status,
               "amount_minor": amount.get("refund"), "currency": amount.get("currency"),
               "metadata": {"portal_deployment": self.deployment_id if ours else f"not ours: {out_trade_no}"}}
        event_id = f"wxpay_refund_{resource.get('refund_id') or resource.get('out_refund_no')}_{status}"[:255]
        created = int(time.time())
        return ProviderEvent(id=event_id, type="provider.refund", created=created,
                             payload={"id": event_id, "type": "provider.refund", "created": created,
                                      "data": {"object": obj}, "wechatpay": {"refund": resource}})

    # --- the daily trade bill (交易账单) ---------------------------------------------------------------
    def download_bill(self, day) -> str:
        """GET /v3/bill/tradebill (bill_type ALL, gzipped) answers a download_url and the SHA1 of the bill; the
        file is fetched with a signed request too, unpacked, and refused unless its SHA1 is that hash_value. A day
        without trades (NO_STATEMENT_EXIST) is a bill without rows."""
        client = self._client()
        code, body = self._call("trade bill", client.trade_bill, bill_date=day.isoformat(), bill_type="ALL",
                                tar_type="GZIP")
        if code == 400 and body.get("code") == "NO_STATEMENT_EXIST":
            return EMPTY_BILL
        if code != 200 or not body.get("download_url") or not body.get("hash_value"):
            raise ProviderError(f"wechat pay trade bill of {day}: {code} {body.get('code')} {body.get('message')}")
        if str(body.get("hash_type") or "").upper() != "SHA1":
            raise ProviderError(f"wechat pay trade bill of {day}: unknown hash_type {body.get('hash_type')!r}")
        url = str(body["download_url"])
        if not url.startswith(client._core._gate_way + "/"):
            raise ProviderError(f"wechat pay trade bill of {day}: download_url is not on the API host")
        try:
            code, content = client.download_bill(url)
        except Exception as error:  # network errors
            raise ProviderError(f"wechat pay trade bill of {day}: download failed: {error}") from error
        if code != 200:
            raise ProviderError(f"wechat pay trade bill of {day}: download answered {code}")
        content = content.encode() if isinstance(content, str) else content
        try:
            raw = gzip.decompress(content) if content[:2] == b"\x1f\x8b" else content
        except (OSError, EOFError) as error:
            raise ProviderError(f"wechat pay trade bill of {day}: the download is not a gzip file") from error
        if hashlib.sha1(raw, usedforsecurity=False).hexdigest() != str(body["hash_value"]).lower():
            raise ProviderError(f"wechat pay trade bill of {day}: the file's SHA1 is not the hash_value WeChat Pay "
                                "gave; refused, nothing compared")
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise ProviderError(f"wechat pay trade bill of {day}: not UTF-8 text") from error

    # --- refunds ---------------------------------------------------------------------------------------
    def refund(self, donation, refund) -> RefundResult:
        if not donation.provider_session_id:
            raise ProviderError(f"donation {donation.id} has no WeChat Pay order to refund")
        out_refund_no = f"r{refund.id}x{self.tag}t{int(refund.created_at.timestamp())}"[:64]
        code, body = self._call("refund", self._client().refund, out_refund_no=out_refund_no,
                                out_trade_no=donation.provider_session_id,
                                amount={"refund": refund.amount_minor, "total": donation.amount_minor,
                                        "currency": donation.currency})
        if code != 200:
            raise ProviderError(f"wechat pay refund of donation {donation.id}: {code} {body.get('code')}")
        status = {"SUCCESS": "succeeded", "CLOSED": "failed", "ABNORMAL": "failed"}.get(body.get("status"), "pending")
        return RefundResult(provider_refund_id=str(body.get("refund_id") or out_refund_no), status=status)

    def cancel_subscription(self, recurring_gift) -> None:
        raise ProviderError("WeChat Pay gifts have no subscriptions")

    # --- callbacks ----------------------------------------------------------------------------------
    def parse_webhook(self, raw_body: bytes, headers) -> ProviderEvent:
        if not (self.api_v3_key and self.platform_key and self.platform_key_id):
            raise SignatureError("WeChat Pay is not configured")
        timestamp = headers.get("Wechatpay-Timestamp") or ""
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > CALLBACK_TOLERANCE_SECONDS:
            raise SignatureError("missing or stale Wechatpay-Timestamp")
        if headers.get("Wechatpay-Serial") != self.platform_key_id:
            raise SignatureError("unknown Wechatpay-Serial")
        if headers.get("Wechatpay-Signature-Type", SIGNATURE_TYPE) != SIGNATURE_TYPE or not headers.get(
                "Wechatpay-Signature") or not headers.get("Wechatpay-Nonce"):
            raise SignatureError("missing signature")
        wanted = {"Wechatpay-Signature": headers.get("Wechatpay-Signature"), "Wechatpay-Timestamp": timestamp,
                  "Wechatpay-Nonce": headers.get("Wechatpay-Nonce"), "Wechatpay-Serial": self.platform_key_id,
                  "Wechatpay-Signature-Type": SIGNATURE_TYPE}
        try:
            text = raw_body.decode("utf-8")
            notification = self._client().callback(wanted, text)
        except (ProviderError, Exception) as error:  # the SDK raises bare Exceptions on malformed input
            raise SignatureError(f"callback not verified: {error}") from error
        if not isinstance(notification, dict) or not isinstance(notification.get("resource"), dict):
            raise SignatureError("signature or encrypted resource does not verify")
        if str(notification.get("event_type") or "").startswith("REFUND."):
            return self.refund_event(notification["resource"])
        if not str(notification.get("event_type") or "").startswith("TRANSACTION."):
            return ProviderEvent(id=f"wxpay_n_{notification.get('id')}"[:255], type="wechatpay.ignored",
                                 created=int(time.time()), payload={"data": {"object": {}}, **notification})
        event = self.transaction_event(notification["resource"], notification_id=notification.get("id"))
        if event is None:
            return ProviderEvent(id=f"wxpay_n_{notification.get('id')}"[:255], type="wechatpay.ignored",
                                 created=int(time.time()), payload={"data": {"object": {}}, **notification})
        return event
