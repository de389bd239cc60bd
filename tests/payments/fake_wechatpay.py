"""A local fake of the parts of WeChat Pay's API v3 the portal calls, and signed, encrypted callbacks.

The real `wechatpayv3` SDK talks to it through WECHATPAY_API_BASE; nothing reaches the internet. Every
request's Authorization header (WECHATPAY2-SHA256-RSA2048) is checked against the merchant public key of a key
pair generated at test time (401 SIGN_ERROR otherwise); every answer is signed with a platform key pair
generated at test time (Wechatpay-Timestamp/-Nonce/-Signature/-Serial), which the SDK verifies. Orders are kept
(Native and H5 create, query by out_trade_no, close) and refunds answer SUCCESS. The day's trade bill
(GET /v3/bill/tradebill) is built from the orders and refunds held (`trade_bill`), served gzipped from its signed
download_url with the SHA1 of the bill in the signed answer; `bill_paid_fen` plants another amount for an order,
`tamper_download` serves bytes that do not match that hash. `pay` plays the payer's part;
`notification` builds a callback as WeChat Pay sends it: the transaction encrypted with AEAD_AES_256_GCM under
the API v3 key, the body signed over "timestamp\\nnonce\\nbody\\n".
"""
import base64
import gzip
import hashlib
import json
import re
import secrets
import time
import urllib.request
from html import escape

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from werkzeug.wrappers import Request, Response

from tests.payments.fake_server import LocalFakeServer

MCHID = "1900000109"
APPID = "wxd678efh567hg6787"
API_V3_KEY = "portal0test0api0v30key0032bytes!"  # 32 bytes
CERT_SERIAL = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"
PLATFORM_KEY_ID = "PUB_KEY_ID_0119000001092025010100000000000001"
SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(key) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def public_pem(key) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def rsa_sign(key, message: str) -> str:
    return base64.b64encode(key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()


def signed_headers(key, body: str, timestamp: int | None = None, serial: str = PLATFORM_KEY_ID) -> dict:
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    nonce = secrets.token_hex(16)
    return {"Wechatpay-Timestamp": timestamp, "Wechatpay-Nonce": nonce, "Wechatpay-Serial": serial,
            "Wechatpay-Signature": rsa_sign(key, f"{timestamp}\n{nonce}\n{body}\n"),
            "Wechatpay-Signature-Type": SIGNATURE_TYPE}


def encrypt_resource(plaintext: str, api_v3_key: str = API_V3_KEY, associated_data: str = "transaction") -> dict:
    """AEAD_AES_256_GCM under the API v3 key, the resource's type as associated data (as WeChat Pay does)."""
    nonce = secrets.token_hex(6)  # 12 characters, as WeChat Pay's
    ciphertext = AESGCM(api_v3_key.encode()).encrypt(nonce.encode(), plaintext.encode(), associated_data.encode())
    return {"algorithm": "AEAD_AES_256_GCM", "ciphertext": base64.b64encode(ciphertext).decode(),
            "associated_data": associated_data, "original_type": associated_data, "nonce": nonce}


def _authorization(header: str) -> dict:
    if not header.startswith(SIGNATURE_TYPE + " "):
        return {}
    return dict(re.findall(r'(\w+)="([^"]*)"', header[len(SIGNATURE_TYPE) + 1:]))


class FakeWeChatPay(LocalFakeServer):
    def __init__(self):
        self.merchant_key = new_key()
        self.platform_key = new_key()
        super().__init__()
        self.reset()

    def reset(self):
        with self.lock:
            self.orders: dict[str, dict] = {}
            self.refunds: dict[str, dict] = {}
            self.requests: list[tuple[str, str, dict]] = []
            self.rejected = 0
            self.refund_status = "SUCCESS"  # PROCESSING: the refund finishes later, with its notification
            self.paid_at_close: set[str] = set()  # orders the donor pays just as the portal asks to close them
            self.bill_paid_fen: dict[str, int] = {}  # a planted difference: another amount in the trade bill
            self.tamper_download = False  # the downloaded bill is not the one whose SHA1 the API answered
            self.bills: dict[str, bytes] = {}  # download token -> the gzipped bill

    def settings(self) -> dict:
        return {"WECHATPAY_MCHID": MCHID, "WECHATPAY_APPID": APPID, "WECHATPAY_API_V3_KEY": API_V3_KEY,
                "WECHATPAY_CERT_SERIAL": CERT_SERIAL, "WECHATPAY_PRIVATE_KEY": private_pem(self.merchant_key),
                "WECHATPAY_PLATFORM_PUBLIC_KEY": public_pem(self.platform_key),
                "WECHATPAY_PLATFORM_PUBLIC_KEY_ID": PLATFORM_KEY_ID, "WECHATPAY_API_BASE": self.url}

    # --- the HTTP API -------------------------------------------------------------------------------
    def _answer(self, status: int, body: dict | None) -> Response:
        text = json.dumps(body) if body is not None else ""
        headers = signed_headers(self.platform_key, text)
        return Response(text, status=status, headers=headers, mimetype="application/json")

    def _verified(self, request: Request, body: str) -> bool:
        auth = _authorization(request.headers.get("Authorization", ""))
        if auth.get("mchid") != MCHID or auth.get("serial_no") != CERT_SERIAL:
            return False
        path = request.full_path.rstrip("?")
        message = f"{request.method}\n{path}\n{auth.get('timestamp')}\n{auth.get('nonce_str')}\n{body}\n"
        try:
            self.merchant_key.public_key().verify(base64.b64decode(auth.get("signature", "")), message.encode(),
                                                  padding.PKCS1v15(), hashes.SHA256())
        except Exception:
            return False
        return abs(time.time() - int(auth.get("timestamp") or 0)) < 300

    def handle(self, request: Request) -> Response:
        if request.path.startswith("/h5/"):  # WeChat's cashier in the phone's browser, not the API
            return self._cashier(request)
        body = request.get_data(as_text=True)
        if not self._verified(request, body):
            with self.lock:
                self.rejected += 1
            return self._answer(401, {"code": "SIGN_ERROR", "message": "signature verification failed"})
        params = json.loads(body) if body else {}
        with self.lock:
            self.requests.append((request.method, request.path, params))
        path = request.path
        if request.method == "POST" and path in ("/v3/pay/transactions/native", "/v3/pay/transactions/h5"):
            return self._create(params, "NATIVE" if path.endswith("native") else "MWEB")
        match = re.match(r"^/v3/pay/transactions/out-trade-no/([\w\-|*]+)(/close)?$", path)
        if match and request.method == "GET" and not match.group(2):
            if request.args.get("mchid") != MCHID:
                return self._answer(400, {"code": "PARAM_ERROR", "message": "mchid"})
            order = self.orders.get(match.group(1))
            if order is None:
                return self._answer(404, {"code": "ORDER_NOT_EXIST", "message": "order does not exist"})
            return self._answer(200, self.transaction(match.group(1)))
        if match and request.method == "POST" and match.group(2):
            order = self.orders.get(match.group(1))
            if order is None:
                return self._answer(404, {"code": "ORDER_NOT_EXIST", "message": "order does not exist"})
            if match.group(1) in self.paid_at_close:  # the donor paid a moment before the close arrived
                self.pay(match.group(1))
            if order["trade_state"] == "SUCCESS":
                return self._answer(400, {"code": "ORDER_PAID", "message": "订单已支付"})
            if order["trade_state"] == "NOTPAY":
                order["trade_state"] = "CLOSED"
            return self._answer(204, None)
        if request.method == "POST" and path == "/v3/refund/domestic/refunds":
            return self._refund(params)
        if request.method == "GET" and path == "/v3/bill/tradebill":
            return self._trade_bill(request.args)
        if request.method == "GET" and path == "/v3/billdownload/file":
            content = self.bills.get(request.args.get("token", ""))
            if content is None:
                return self._answer(404, {"code": "RESOURCE_NOT_EXISTS", "message": "no such bill"})
            return Response(content, mimetype="application/octet-stream")  # not signed: the hash is the check
        return self._answer(404, {"code": "NOT_FOUND", "message": path})

    def _create(self, params: dict, trade_type: str) -> Response:
        out_trade_no = params.get("out_trade_no", "")
        if not (6 <= len(out_trade_no) <= 32) or params.get("mchid") != MCHID or params.get("appid") != APPID:
            return self._answer(400, {"code": "PARAM_ERROR", "message": "out_trade_no, mchid or appid"})
        with self.lock:
            order = self.orders.get(out_trade_no)
            if order is not None and order["amount"] != params.get("amount"):
                return self._answer(400, {"code": "INVALID_REQUEST", "message": "订单号重复，参数不一致"})
            if order is None:
                order = {"out_trade_no": out_trade_no, "amount": params.get("amount"), "trade_type": trade_type,
                         "description": params.get("description"), "attach": params.get("attach", ""),
                         "time_expire": params.get("time_expire"), "notify_url": params.get("notify_url"),
                         "trade_state": "NOTPAY", "transaction_id": None,
                         "code_url": f"weixin://wxpay/bizpayurl?pr={secrets.token_hex(6)}",
                         "prepay_id": f"wx{secrets.token_hex(10)}"}
                order["h5_url"] = f"{self.url}/h5/checkmweb?prepay_id={order['prepay_id']}"
                self.orders[out_trade_no] = order
        return self._answer(200, {"code_url": order["code_url"]} if trade_type == "NATIVE"
                            else {"h5_url": order["h5_url"]})

    def _refund(self, params: dict) -> Response:
        order = self.orders.get(params.get("out_trade_no", ""))
        if order is None or order["trade_state"] not in ("SUCCESS", "REFUND"):
            return self._answer(400, {"code": "RESOURCE_NOT_EXISTS", "message": "order not paid"})
        amount = params.get("amount") or {}
        refunded = sum(refund["amount"]["refund"] for refund in self.refunds.values()
                       if refund["out_trade_no"] == order["out_trade_no"])
        if amount.get("total") != order["amount"]["total"] or refunded + amount.get("refund", 0) > amount.get("total"):
            return self._answer(400, {"code": "INVALID_REQUEST", "message": "refund exceeds the order"})
        refund = self.refunds.get(params["out_refund_no"])
        if refund is None:
            refund = {"refund_id": f"50000{secrets.randbelow(10**20):020d}", "out_refund_no": params["out_refund_no"],
                      "out_trade_no": order["out_trade_no"], "transaction_id": order["transaction_id"],
                      "status": self.refund_status, "amount": {"refund": amount["refund"], "total": amount["total"],
                                                      "currency": amount.get("currency", "CNY")}}
            self.refunds[params["out_refund_no"]] = refund
        return self._answer(200, refund)

    def _trade_bill(self, args) -> Response:
        day = args.get("bill_date", "")
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", day) or args.get("bill_type") != "ALL":
            return self._answer(400, {"code": "PARAM_ERROR", "message": "bill_date or bill_type"})
        with self.lock:
            if not any(order["trade_state"] == "SUCCESS" for order in self.orders.values()) and not self.refunds:
                return self._answer(400, {"code": "NO_STATEMENT_EXIST", "message": "账单不存在"})
            text = trade_bill(self, day, paid_fen=self.bill_paid_fen).encode()
            served = text.replace(b"`SUCCESS", b"`REVOKED", 1) if self.tamper_download else text
            token = secrets.token_urlsafe(12)
            self.bills[token] = gzip.compress(served) if args.get("tar_type") == "GZIP" else served
        return self._answer(200, {"hash_type": "SHA1", "hash_value": hashlib.sha1(text).hexdigest(),
                                  "download_url": f"{self.url}/v3/billdownload/file?token={token}"})

    def _cashier(self, request: Request) -> Response:
        """GET: a page with one button; POST: paid, the callback sent to the order's notify_url, back to the
        merchant's redirect_url (what WeChat Pay's H5 cashier does, minus the WeChat app)."""
        prepay_id = request.values.get("prepay_id", "")
        order = next((o for o in self.orders.values() if o.get("prepay_id") == prepay_id), None)
        if order is None:
            return Response("unknown prepay_id", status=404)
        back = request.values.get("redirect_url", "")
        if request.method == "GET":
            page = ('<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>微信支付</title></head>'
                    f'<body><main><h1>微信支付 ¥{_yuan(order["amount"]["total"])}</h1><form method="post" '
                    f'action="/h5/pay"><input type="hidden" name="prepay_id" value="{escape(prepay_id)}">'
                    f'<input type="hidden" name="redirect_url" value="{escape(back)}">'
                    '<button type="submit">确认支付</button></form></main></body></html>')
            return Response(page, mimetype="text/html")
        self.pay_and_notify(order["out_trade_no"])
        return Response("", status=303, headers={"Location": back})

    def pay_and_notify(self, out_trade_no: str) -> int:
        """The donor pays (scans the code, or confirms in the cashier) and WeChat Pay calls the portal back."""
        body, headers = self.notification(self.pay(out_trade_no))
        request = urllib.request.Request(self.orders[out_trade_no]["notify_url"], data=body, method="POST",
                                         headers={**headers, "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310  (the local portal)
            return response.status

    # --- the payer's part, and callbacks --------------------------------------------------------------
    def transaction(self, out_trade_no: str, total: int | None = None, currency: str | None = None) -> dict:
        order = self.orders[out_trade_no]
        paid = order["trade_state"] == "SUCCESS"
        amount = {"total": order["amount"]["total"] if total is None else total,
                  "currency": order["amount"].get("currency", "CNY") if currency is None else currency}
        if paid:
            amount.update(payer_total=amount["total"], payer_currency=amount["currency"])
        result = {"appid": APPID, "mchid": MCHID, "out_trade_no": out_trade_no, "trade_type": order["trade_type"],
                  "trade_state": order["trade_state"], "trade_state_desc": order["trade_state"],
                  "attach": order["attach"], "amount": amount}
        if paid:
            result.update(transaction_id=order["transaction_id"], bank_type="OTHERS",
                          success_time=time.strftime("%Y-%m-%dT%H:%M:%S+08:00", time.gmtime(time.time() + 8 * 3600)),
                          payer={"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"})
        return result

    def pay(self, out_trade_no: str) -> dict:
        """The donor scans and pays: the order is SUCCESS (no callback is sent; see `notification`)."""
        with self.lock:
            order = self.orders[out_trade_no]
            order["trade_state"] = "SUCCESS"
            order["transaction_id"] = order["transaction_id"] or f"42000{secrets.randbelow(10**23):023d}"
        return self.transaction(out_trade_no)

    def refund_notification(self, out_refund_no: str, status: str = "SUCCESS", **kwargs) -> tuple[bytes, dict]:
        """WeChat Pay's REFUND.<status> callback for a refund it answered PROCESSING."""
        refund = self.refunds[out_refund_no]
        refund["status"] = status
        resource = {"mchid": MCHID, "out_trade_no": refund["out_trade_no"], "transaction_id": refund["transaction_id"],
                    "out_refund_no": out_refund_no, "refund_id": refund["refund_id"], "refund_status": status,
                    "amount": {"total": refund["amount"]["total"], "refund": refund["amount"]["refund"],
                               "payer_total": refund["amount"]["total"], "payer_refund": refund["amount"]["refund"]}}
        return self.notification(resource, event_type=f"REFUND.{status}", original_type="refund", **kwargs)

    def notification(self, transaction: dict, *, timestamp: int | None = None, key=None,
                     api_v3_key: str = API_V3_KEY, serial: str = PLATFORM_KEY_ID,
                     event_type: str = "TRANSACTION.SUCCESS", original_type: str = "transaction") -> tuple[bytes, dict]:
        """A callback for `transaction` as WeChat Pay delivers it: (body, headers)."""
        body = json.dumps({"id": f"EV-{secrets.token_hex(8)}", "create_time": "2026-12-07T15:00:00+08:00",
                           "resource_type": "encrypt-resource", "event_type": event_type, "summary": event_type,
                           "resource": encrypt_resource(json.dumps(transaction), api_v3_key, original_type)},
                          separators=(",", ":"))
        headers = signed_headers(key or self.platform_key, body, timestamp, serial)
        return body.encode(), headers


BILL_HEADER = ("交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,"
               "付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,"
               "退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注")


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def trade_bill(server: FakeWeChatPay, day: str, paid_fen: dict | None = None) -> str:
    """WeChat Pay's trade bill (bill_type ALL) of `day` (YYYY-MM-DD) for the fake's paid orders and refunds, as
    the CSV it publishes: every value prefixed with a backtick, a summary at the end. `paid_fen` plants another
    amount for an order (a difference reconcile must find)."""
    lines, total = [BILL_HEADER], 0
    for order in server.orders.values():
        if order["trade_state"] != "SUCCESS":
            continue
        fen = (paid_fen or {}).get(order["out_trade_no"], order["amount"]["total"])
        total += fen
        cells = [f"{day} 10:00:00", APPID, MCHID, "0", "", order["transaction_id"], order["out_trade_no"], "oUser",
                 order["trade_type"], "SUCCESS", "OTHERS", "CNY", _yuan(fen), "0.00", "0", "0", "0.00", "0.00", "",
                 "", order["description"] or "", order["attach"], "0.00", "0.60%", _yuan(fen), "0.00", ""]
        lines.append(",".join("`" + str(cell).replace(",", " ") for cell in cells))
    for refund in server.refunds.values():
        fen = refund["amount"]["refund"]
        cells = [f"{day} 11:00:00", APPID, MCHID, "0", "", refund["transaction_id"], refund["out_trade_no"], "oUser",
                 "NATIVE", "REFUND", "OTHERS", "CNY", "0.00", "0.00", refund["refund_id"], refund["out_refund_no"],
                 _yuan(fen), "0.00", "ORIGINAL", refund["status"], "", "", "0.00", "0.60%", "0.00", _yuan(fen), ""]
        lines.append(",".join("`" + str(cell) for cell in cells))
    lines.append("总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额")
    lines.append(f"`{len(lines) - 2},`{_yuan(total)},`0.00,`0.00,`0.00,`{_yuan(total)},`0.00")
    return "\n".join(lines) + "\n"
