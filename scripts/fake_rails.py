#!/usr/bin/env python3
"""WeChat Pay and Alipay on this machine, for trying the demo's giving with every rail (development only).

`./scripts/start` runs this unless PAYMENT_PROVIDERS is set (or DEMO_FAKE_RAILS=0). It starts the local fakes
of both providers' APIs that the tests use (tests/payments/fake_wechatpay.py, fake_alipay.py: they check the
portal's signed requests and sign their answers and notifications with keys made at start), writes the settings
the portal needs to an env file for the start script to read (keys only for this run, never in git), and serves
"the donor's phone" at http://127.0.0.1:<port>/: every order waiting to be paid, with a button that pays it, as
scanning the QR code with the WeChat or Alipay app would; the fake then notifies the portal, whose pay page
moves on to the receipt by itself. On a phone-sized browser the portal sends the donor to the fakes' H5 / WAP
cashiers instead, which pay the same way.

    .venv/bin/python scripts/fake_rails.py --env-file instance/fake_rails.env --port 5001
"""
import argparse
import shlex
import signal
import sys
import threading
from html import escape
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from werkzeug.serving import make_server  # noqa: E402
from werkzeug.wrappers import Request, Response  # noqa: E402

from tests.payments import fake_alipay, fake_wechatpay  # noqa: E402

PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>付款（本机模拟）</title>
<style>body{{font:16px system-ui,sans-serif;margin:1rem auto;max-width:40rem;padding:0 1rem;color:#1f2328}}
li{{margin:.6rem 0;display:flex;gap:1rem;align-items:center;justify-content:space-between;flex-wrap:wrap}}
button{{font:inherit;padding:.4rem 1rem}}</style></head><body><main>
<h1>付款（本机模拟的微信支付与支付宝）</h1>
<p>A stand-in for the donor's phone: each order the portal opened and nobody paid yet. "Pay" does what scanning
the QR code in the WeChat or Alipay app does; the fake then notifies the portal.</p>
{orders}
<p><a href="/">刷新 Refresh</a></p></main></body></html>"""


class Phone:
    """The page that pays the fakes' open orders."""

    def __init__(self, wechat, alipay):
        self.wechat, self.alipay = wechat, alipay

    def open_orders(self) -> list[tuple[str, str, str, str]]:
        """(rail, order number, amount in yuan, what for) of each order not paid yet."""
        with self.wechat.lock:
            wechat = [("wechatpay", number, f"{order['amount']['total'] / 100:.2f}", order.get("description") or "")
                      for number, order in self.wechat.orders.items() if order["trade_state"] == "NOTPAY"]
        with self.alipay.lock:
            alipay = [("alipay", number, trade["total_amount"], trade.get("subject") or "")
                      for number, trade in self.alipay.trades.items() if trade["status"] == "WAIT_BUYER_PAY"]
        return wechat + alipay

    def __call__(self, environ, start_response):
        request = Request(environ)
        if request.method == "POST" and request.path == "/pay":
            rail, order = request.form.get("rail", ""), request.form.get("order", "")
            fake = {"wechatpay": self.wechat, "alipay": self.alipay}.get(rail)
            if fake is None or order not in (self.wechat.orders if rail == "wechatpay" else self.alipay.trades):
                return Response("unknown order", status=404)(environ, start_response)
            fake.pay_and_notify(order)
            return Response("", status=303, headers={"Location": "/"})(environ, start_response)
        if request.path != "/":
            return Response("not found", status=404)(environ, start_response)
        names = {"wechatpay": "微信支付 WeChat Pay", "alipay": "支付宝 Alipay"}
        rows = "".join(
            f'<li><span>{names[rail]} · ¥{escape(amount)} · {escape(what)}<br><small>{escape(order)}</small></span>'
            f'<form method="post" action="/pay"><input type="hidden" name="rail" value="{rail}">'
            f'<input type="hidden" name="order" value="{escape(order)}"><button>付款 Pay</button></form></li>'
            for rail, order, amount, what in self.open_orders())
        orders = f"<ul>{rows}</ul>" if rows else "<p>没有待付款的订单。No order is waiting to be paid.</p>"
        return Response(PAGE.format(orders=orders), mimetype="text/html")(environ, start_response)


def settings(wechat, alipay) -> dict[str, str]:
    return {**wechat.settings(), **alipay.settings(), "PAYMENT_PROVIDERS": "wechatpay,alipay,sandbox,offline"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--env-file", required=True, help="where to write the portal's settings (export lines)")
    parser.add_argument("--port", type=int, default=5001, help="the donor's phone page")
    args = parser.parse_args()
    wechat, alipay = fake_wechatpay.FakeWeChatPay(), fake_alipay.FakeAlipay()
    wechat.start()
    alipay.start()
    phone = make_server("127.0.0.1", args.port, Phone(wechat, alipay), threaded=True)
    lines = [f"export {name}={shlex.quote(str(value))}" for name, value in settings(wechat, alipay).items()]
    lines.append(f"export FAKE_RAILS_PHONE=http://127.0.0.1:{args.port}/")
    env_file = Path(args.env_file)
    env_file.parent.mkdir(parents=True, exist_ok=True)
    written = env_file.with_suffix(".tmp")
    written.write_text("\n".join(lines) + "\n")
    written.chmod(0o600)
    written.replace(env_file)  # whole or not at all: the start script waits for it
    print(f"fake rails: WeChat Pay at {wechat.url}, Alipay at {alipay.url}, the donor's phone at "
          f"http://127.0.0.1:{args.port}/", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=phone.shutdown).start())
    try:
        phone.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        env_file.unlink(missing_ok=True)
        wechat.stop()
        alipay.stop()


if __name__ == "__main__":
    main()
