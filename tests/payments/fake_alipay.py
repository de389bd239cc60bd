"""A local fake of the parts of Alipay's open platform gateway the portal calls, and signed notifications.

The real python-alipay-sdk talks to it through ALIPAY_GATEWAY (http://127.0.0.1:<port>/gateway.do). Two RSA
key pairs are made at test time with `cryptography`: the app's (the portal signs its requests with the private
half, the fake verifies them with the public half, as Alipay does with the app public key uploaded to it) and
Alipay's (the fake signs its answers and notifications, the portal verifies them with ALIPAY_PUBLIC_KEY).
Methods: alipay.trade.precreate, .query, .refund, .close, and .wap.pay (a browser's GET: the WAP cashier page,
whose button pays, notifies the portal and goes back to return_url), and
alipay.data.dataservice.bill.downloadurl.query, whose signed answer's bill_download_url serves a zip (GBK member
names, as Alipay's) holding the day's 业务明细 CSV built from the trades held (`trade_bill`) and its summary;
`bill_amounts` and `bill_extra_rows` plant differences in it. `pay` plays the donor scanning and paying,
`pay_and_notify` also sends the notification to the order's notify_url;
`notification` builds an asynchronous notification body signed exactly as Alipay signs one (RSA2 over the
sorted `k=v` pairs without sign and sign_type, form-encoded).
"""
import base64
import io
import json
import secrets
import urllib.request
import zipfile
from datetime import datetime, timedelta
from decimal import Decimal
from html import escape
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from werkzeug.wrappers import Request, Response

from tests.payments.fake_server import LocalFakeServer

APP_ID = "2021000000000001"


def new_key_pair() -> tuple[rsa.RSAPrivateKey, str, str]:
    """(private key, private PEM, public PEM)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                    serialization.NoEncryption()).decode()
    public_pem = key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return key, private_pem, public_pem


def unsigned_text(fields: dict, without=("sign", "sign_type")) -> str:
    """Alipay's string to sign: sorted `k=v` pairs, raw values; notifications leave out sign and sign_type,
    requests only sign."""
    return "&".join(f"{key}={fields[key]}" for key in sorted(fields) if key not in without)


def rsa2_sign(key: rsa.RSAPrivateKey, text: str) -> str:
    return base64.b64encode(key.sign(text.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()


def rsa2_verify(public_key, text: str, signature: str) -> bool:
    try:
        public_key.verify(base64.b64decode(signature), text.encode(), padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, ValueError):
        return False
    return True


def _now() -> str:
    return datetime.now(ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M:%S")


class FakeAlipay(LocalFakeServer):
    def __init__(self):
        super().__init__()
        self.app_key, self.app_private_pem, self.app_public_pem = new_key_pair()
        self.alipay_key, self.alipay_private_pem, self.alipay_public_pem = new_key_pair()
        self.reset()

    def reset(self):
        with self.lock:
            self.trades: dict[str, dict] = {}  # out_trade_no -> {total_amount, status, trade_no, refunded, ...}
            self.refund_requests: dict[tuple, str] = {}  # (out_trade_no, out_request_no) -> amount
            self.requests: list[tuple[str, dict]] = []  # (method, biz_content)
            self.rejected: list[str] = []  # why a request was refused (bad signature, wrong app id)
            self.paid_at_close: set[str] = set()  # orders the donor pays just as the portal asks to close them
            self.bill_amounts: dict[str, str] = {}  # planted: another paid amount (yuan) for an order in the bill
            self.bill_extra_rows: list[tuple[str, str, str]] = []  # planted: rows no trade of ours made
            self.bills: dict[str, bytes] = {}  # download token -> the bill zip

    def settings(self) -> dict:
        """The portal's Alipay settings pointed at this fake."""
        return {"ALIPAY_APP_ID": APP_ID, "ALIPAY_APP_PRIVATE_KEY": self.app_private_pem,
                "ALIPAY_PUBLIC_KEY": self.alipay_public_pem, "ALIPAY_GATEWAY": self.gateway}

    @property
    def gateway(self) -> str:
        return f"{self.url}/gateway.do"

    # --- the gateway ------------------------------------------------------------------------------
    def _answer(self, method: str, body: dict) -> Response:
        """Alipay's synchronous answer: {"<method>_response": {...}, "sign": RSA2 over that object's text}."""
        name = method.replace(".", "_") + "_response"
        inner = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        text = f'{{"{name}":{inner},"sign":"{rsa2_sign(self.alipay_key, inner)}"}}'
        return Response(text, mimetype="application/json", content_type="application/json;charset=utf-8")

    def handle(self, request: Request) -> Response:
        fields = request.values.to_dict()
        method = fields.get("method", "")
        if request.path == "/wap/pay" and request.method == "POST":
            return self._wap_paid(fields)
        if request.path == "/bill/download":  # the short-lived download address (signed by Alipay in its query)
            content = self.bills.get(request.args.get("token", ""))
            return Response(content, mimetype="application/zip") if content else Response("expired", status=404)
        if request.path != "/gateway.do" or not method:
            return Response("not found", status=404)
        if not rsa2_verify(self.app_key.public_key(), unsigned_text(fields, ("sign",)), fields.get("sign", "")):
            self.rejected.append("bad signature")
            return self._error(method, "40002", "isv.invalid-signature")
        if fields.get("app_id") != APP_ID:
            self.rejected.append("wrong app id")
            return self._error(method, "40002", "isv.invalid-app-id")
        biz = json.loads(fields.get("biz_content") or "{}")
        with self.lock:
            self.requests.append((method, {**biz, "_notify_url": fields.get("notify_url")}))
            if method == "alipay.trade.wap.pay":
                return self._wap_cashier(biz, fields)
            handler = {"alipay.trade.precreate": self.precreate, "alipay.trade.query": self.query,
                       "alipay.trade.refund": self.refund, "alipay.trade.close": self.close,
                       "alipay.data.dataservice.bill.downloadurl.query": self.bill_url}.get(method)
            if handler is None:
                return self._error(method, "40004", "isv.invalid-method")
            return self._answer(method, handler(biz, fields))

    def _error(self, method, code, sub_code):
        return self._answer(method, {"code": code, "msg": "Invalid Arguments", "sub_code": sub_code,
                                     "sub_msg": sub_code})

    @staticmethod
    def _fail(sub_code: str) -> dict:
        return {"code": "40004", "msg": "Business Failed", "sub_code": sub_code, "sub_msg": sub_code}

    def precreate(self, biz, fields) -> dict:
        order = biz["out_trade_no"]
        trade = self.trades.get(order)
        if trade is not None and trade["total_amount"] != biz["total_amount"]:
            return self._fail("ACQ.CONTEXT_INCONSISTENT")
        if trade is not None and trade["status"] != "WAIT_BUYER_PAY":
            return self._fail("ACQ.TRADE_HAS_SUCCESS" if trade["status"] != "TRADE_CLOSED" else "ACQ.TRADE_HAS_CLOSE")
        if trade is None:
            self.trades[order] = {"total_amount": biz["total_amount"], "status": "WAIT_BUYER_PAY",
                                  "trade_no": None, "refunded": Decimal("0"), "subject": biz.get("subject"),
                                  "notify_url": fields.get("notify_url")}
        return {"code": "10000", "msg": "Success", "out_trade_no": order,
                "qr_code": f"https://qr.alipay.com/bax{order[-12:]}"}

    def _wap_cashier(self, biz, fields) -> Response:
        """The phone's cashier (what Alipay shows after the signed wap.pay redirect): the order and one button."""
        order = biz["out_trade_no"]
        if self.trades.get(order, {}).get("status", "WAIT_BUYER_PAY") != "WAIT_BUYER_PAY":
            return Response("trade already closed or paid", status=409)
        self.trades.setdefault(order, {"total_amount": biz["total_amount"], "status": "WAIT_BUYER_PAY",
                                       "trade_no": None, "refunded": Decimal("0"), "subject": biz.get("subject"),
                                       "notify_url": fields.get("notify_url")})
        page = ('<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>支付宝</title>'
                '<meta name="viewport" content="width=device-width, initial-scale=1"></head>'
                f'<body><main><h1>支付宝 ¥{escape(biz["total_amount"])}</h1><p>{escape(biz.get("subject", ""))}</p>'
                '<form method="post" action="/wap/pay">'
                f'<input type="hidden" name="out_trade_no" value="{escape(order)}">'
                f'<input type="hidden" name="return_url" value="{escape(fields.get("return_url", ""))}">'
                '<button type="submit">确认付款</button></form></main></body></html>')
        return Response(page, mimetype="text/html")

    def _wap_paid(self, fields) -> Response:
        """The cashier's button: paid, the notification sent to the portal, back to the merchant's return_url."""
        order = fields.get("out_trade_no", "")
        if order not in self.trades:
            return Response("unknown out_trade_no", status=404)
        self.pay_and_notify(order)
        return Response("", status=303, headers={"Location": fields.get("return_url", "")})

    def pay_and_notify(self, order: str) -> str:
        """The donor pays (scans the code, or confirms in the cashier) and Alipay notifies the portal: its answer."""
        self.pay(order)
        request = urllib.request.Request(self.trades[order]["notify_url"], data=self.notification(order),
                                         method="POST", headers={"Content-Type": "application/x-www-form-urlencoded"})
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310  (the local portal)
            return response.read().decode()

    def query(self, biz, fields) -> dict:
        trade = self.trades.get(biz.get("out_trade_no"))
        if trade is None or trade["trade_no"] is None:
            return self._fail("ACQ.TRADE_NOT_EXIST")
        return {"code": "10000", "msg": "Success", "out_trade_no": biz["out_trade_no"], "trade_no": trade["trade_no"],
                "trade_status": trade["status"], "total_amount": trade["total_amount"],
                "buyer_logon_id": "don***@example.org"}

    def refund(self, biz, fields) -> dict:
        order = biz.get("out_trade_no")
        trade = self.trades.get(order)
        if trade is None or trade["status"] not in ("TRADE_SUCCESS",):
            return self._fail("ACQ.TRADE_STATUS_ERROR")
        key = (order, biz.get("out_request_no"))
        amount = Decimal(biz["refund_amount"])
        if key in self.refund_requests:
            fund_change = "N"
        elif trade["refunded"] + amount > Decimal(trade["total_amount"]):
            return self._fail("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL")
        else:
            self.refund_requests[key] = biz["refund_amount"]
            trade["refunded"] += amount
            fund_change = "Y"
        return {"code": "10000", "msg": "Success", "out_trade_no": order, "trade_no": trade["trade_no"],
                "refund_fee": f"{trade['refunded']:.2f}", "fund_change": fund_change}

    def close(self, biz, fields) -> dict:
        trade = self.trades.get(biz.get("out_trade_no"))
        if trade is None:
            return self._fail("ACQ.TRADE_NOT_EXIST")
        if biz.get("out_trade_no") in self.paid_at_close:  # the donor paid a moment before the close arrived
            trade["status"] = "TRADE_SUCCESS"
            trade["trade_no"] = trade["trade_no"] or f"2026{secrets.randbelow(10**24):024d}"
        if trade["status"] != "WAIT_BUYER_PAY":
            return self._fail("ACQ.TRADE_STATUS_ERROR")
        trade["status"] = "TRADE_CLOSED"
        return {"code": "10000", "msg": "Success", "out_trade_no": biz["out_trade_no"]}

    def bill_url(self, biz, fields) -> dict:
        day = biz.get("bill_date", "")
        if biz.get("bill_type") != "trade" or len(day) != 10:
            return self._fail("isv.invalid-bill-type")
        rows = self.trade_rows()
        if not rows:
            return self._fail("isp.bill_not_exist")
        token = secrets.token_urlsafe(12)
        self.bills[token] = bill_zip(day, bill(day, rows))
        return {"code": "10000", "msg": "Success",
                "bill_download_url": f"{self.url}/bill/download?token={token}&downloadFileName={day}.csv.zip"}

    def trade_rows(self) -> list[tuple[str, str, str]]:
        """The bill's rows for the trades held: each paid trade (at its planted amount, if any), each refund."""
        rows = [(order, "交易", self.bill_amounts.get(order, trade["total_amount"]))
                for order, trade in self.trades.items() if trade["status"] in ("TRADE_SUCCESS", "TRADE_FINISHED")]
        rows += [(order, "退款", f"-{Decimal(amount):.2f}") for (order, _no), amount in self.refund_requests.items()]
        return rows + list(self.bill_extra_rows)

    # --- Alipay's part of a payment ------------------------------------------------------------------
    def pay(self, order: str) -> str:
        """The donor scans the code and pays: the trade succeeds (no notification is sent by itself)."""
        with self.lock:
            trade = self.trades[order]
            trade["status"] = "TRADE_SUCCESS"
            trade["trade_no"] = trade["trade_no"] or f"2026{secrets.randbelow(10**24):024d}"
            return trade["trade_no"]

    def notification(self, order: str, status: str = "TRADE_SUCCESS", *, total_amount: str | None = None,
                     app_id: str = APP_ID, key=None, notify_id: str | None = None, **extra) -> bytes:
        """An asynchronous notification for a trade, signed with Alipay's key (or `key`), form-encoded."""
        trade = self.trades.get(order) or {}
        fields = {"notify_time": _now(), "notify_type": "trade_status_sync",
                  "notify_id": notify_id or secrets.token_hex(16), "app_id": app_id, "charset": "utf-8",
                  "version": "1.0", "trade_no": trade.get("trade_no") or f"2026{secrets.randbelow(10**24):024d}",
                  "out_trade_no": order, "trade_status": status,
                  "total_amount": total_amount or trade.get("total_amount") or "0.01",
                  "receipt_amount": total_amount or trade.get("total_amount") or "0.01",
                  "buyer_logon_id": "don***@example.org", "subject": trade.get("subject") or "gift", **extra}
        fields["sign"] = rsa2_sign(key or self.alipay_key, unsigned_text(fields))
        fields["sign_type"] = "RSA2"
        return urlencode(fields).encode()


BILL_HEADER = ["支付宝交易号", "商户订单号", "业务类型", "商品名称", "创建时间", "完成时间", "门店编号", "门店名称",
               "操作员", "终端号", "对方账户", "订单金额（元）", "商家实收（元）", "支付宝红包（元）", "集分宝（元）",
               "支付宝优惠（元）", "商家优惠（元）", "券核销金额（元）", "券名称", "商家红包消费金额（元）",
               "卡消费金额（元）", "退款批次号/请求号", "服务费（元）", "分润（元）", "备注"]


def bill(day: str, rows: list[tuple[str, str, str]], account: str = "20881234567890123") -> bytes:
    """Alipay's daily 业务明细 CSV for `day` (YYYY-MM-DD): rows of (order number, 交易 | 退款, amount in yuan),
    GBK, `#` lines around the table and tab-padded cells, as Alipay publishes it."""
    start = datetime.strptime(day, "%Y-%m-%d")
    end = start + timedelta(days=1)
    stamp = start.strftime("%Y-%m-%d") + " 10:00:00"
    lines = ["#支付宝业务明细查询", f"#账号：[{account}]",
             f"#起始日期：[{start:%Y年%m月%d日} 00:00:00]   终止日期：[{end:%Y年%m月%d日} 00:00:00]",
             "#-----------------------------------------业务明细列表----------------------------------------",
             ",".join(BILL_HEADER)]
    for order, kind, amount in rows:
        cells = [f"2026{secrets.randbelow(10**24):024d}", order, kind, "捐赠", stamp, stamp, "", "", "", "",
                 "don***@example.org", amount, amount, "0.00", "0.00", "0.00", "0.00", "0.00", "", "0.00", "0.00",
                 f"refund_{secrets.token_hex(4)}" if kind == "退款" else "", "0.00", "0.00", ""]
        lines.append(",".join(f"{cell}\t" for cell in cells))
    lines += ["#-----------------------------------------业务明细列表结束------------------------------------",
              f"#交易合计：{len(rows)}笔", f"#导出时间：[{end:%Y年%m月%d日} 09:00:00]"]
    return ("\r\n".join(lines) + "\r\n").encode("gb18030")


class _GbkName(zipfile.ZipInfo):
    """A member whose name is written in GBK without the UTF-8 flag, as Alipay's bill zips are."""

    def _encodeFilenameFlags(self):  # noqa: N802  (zipfile's own name)
        return self.filename.encode("gb18030"), self.flag_bits & ~0x800


def bill_zip(day: str, detail: bytes, account: str = "20881234567890123") -> bytes:
    """The zip Alipay's bill_download_url serves: the 业务明细 CSV and its (汇总) summary, GBK names."""
    stem = f"{account}0156_{day.replace('-', '')}"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(_GbkName(f"{stem}_业务明细.csv", (2026, 1, 1, 0, 0, 0)), detail)
        archive.writestr(_GbkName(f"{stem}_业务明细(汇总).csv", (2026, 1, 1, 0, 0, 0)),
                         "#支付宝业务汇总查询\r\n门店编号,门店名称,交易订单总笔数\r\n".encode("gb18030"))
    return buffer.getvalue()
