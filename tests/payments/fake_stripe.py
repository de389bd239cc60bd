"""A local fake of the parts of Stripe's HTTP API the portal calls, and Stripe-style signed webhooks.

The real `stripe` library talks to it through STRIPE_API_BASE (http://127.0.0.1:<port>); nothing
reaches the internet. It keeps state (checkout sessions, payments, refunds, subscriptions), honours
Idempotency-Key (same key and same parameters -> the same object; other parameters -> 400), and
answers with Stripe-shaped JSON. The `complete_session`, `invoice_paid`, `charge`, `dispute` helpers
play Stripe's part of a payment; `event` and `signed` build webhook deliveries signed exactly as Stripe
signs them (header `Stripe-Signature: t=<ts>,v1=<hex HMAC-SHA256 of "<ts>.<body>">`).
"""
import hashlib
import hmac
import json
import re
import secrets
import threading
import time

from werkzeug.wrappers import Request, Response

from tests.payments.fake_server import LocalFakeServer

API_VERSION = "2026-10-28.endive"


def _new_id(prefix: str) -> str:
    return f"{prefix}_test_{secrets.token_hex(12)}"


def parse_stripe_form(pairs) -> dict:
    """`line_items[0][price_data][unit_amount]=2000` -> nested dicts and lists, as Stripe reads them."""
    root: dict = {}
    for key, value in pairs:
        parts = re.findall(r"[^\[\]]+", key)
        node = root
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            if last:
                node[part] = value
            else:
                node = node.setdefault(part, {})
    return _lists(root)


def _lists(node):
    if not isinstance(node, dict):
        return node
    if node and all(key.isdigit() for key in node):
        return [_lists(node[key]) for key in sorted(node, key=int)]
    return {key: _lists(value) for key, value in node.items()}


def _error(status: int, message: str, type_: str = "invalid_request_error", code: str | None = None) -> Response:
    body = {"error": {"type": type_, "message": message, **({"code": code} if code else {})}}
    return Response(json.dumps(body), status=status, mimetype="application/json")


class FakeStripe(LocalFakeServer):
    def __init__(self):
        super().__init__()
        self.reset()

    # --- lifecycle --------------------------------------------------------------------------------
    def reset(self):
        with getattr(self, "lock", threading.Lock()):
            self.sessions: dict[str, dict] = {}
            self.payments: dict[str, dict] = {}  # payment intent id -> {amount, currency, charge, refunded}
            self.refunds: dict[str, dict] = {}
            self.subscriptions: dict[str, dict] = {}
            self.idempotent: dict[tuple, tuple] = {}
            self.requests: list[tuple[str, str, dict]] = []
            self.refund_status = "succeeded"
            self.down = False  # True: every API call answers 500 (the service is unreachable)

    # --- the HTTP API -------------------------------------------------------------------------------
    ROUTES = [
        ("POST", re.compile(r"^/v1/checkout/sessions$"), "create_session"),
        ("GET", re.compile(r"^/v1/checkout/sessions/(?P<id>[\w]+)$"), "get_session"),
        ("POST", re.compile(r"^/v1/checkout/sessions/(?P<id>[\w]+)/expire$"), "expire_session"),
        ("POST", re.compile(r"^/v1/refunds$"), "create_refund"),
        ("DELETE", re.compile(r"^/v1/subscriptions/(?P<id>[\w]+)$"), "cancel_subscription"),
    ]

    def handle(self, request: Request) -> Response:
        if not request.headers.get("Authorization", "").startswith("Bearer sk_test_"):
            return _error(401, "Invalid API Key provided", "invalid_request_error")
        if self.down:
            return _error(500, "fake outage", "api_error")
        params = parse_stripe_form(request.form.items(multi=True)) if request.method != "GET" else {}
        if request.method == "DELETE" and request.query_string:
            params = parse_stripe_form(request.args.items(multi=True))
        with self.lock:
            self.requests.append((request.method, request.path, params))
        for method, pattern, name in self.ROUTES:
            match = pattern.match(request.path)
            if match and method == request.method:
                key = request.headers.get("Idempotency-Key")
                if key and request.method == "POST":
                    with self.lock:
                        seen = self.idempotent.get((request.path, key))
                    if seen is not None:
                        if seen[0] != params:
                            return _error(400, "Keys for idempotent requests can only be used with the same "
                                               "parameters they were first used with.", "idempotency_error")
                        return Response(seen[1], status=seen[2], mimetype="application/json",
                                        headers={"Idempotent-Replayed": "true"})
                with self.lock:
                    status, body = getattr(self, name)(params, **match.groupdict())
                    text = json.dumps(body)
                    if key and request.method == "POST":
                        self.idempotent[(request.path, key)] = (params, text, status)
                return Response(text, status=status, mimetype="application/json")
        return _error(404, f"Unrecognized request URL ({request.method}: {request.path})")

    def create_session(self, params):
        mode = params.get("mode")
        items = params.get("line_items") or []
        if mode not in ("payment", "subscription") or not items:
            return 400, {"error": {"type": "invalid_request_error", "message": "mode and line_items are required"}}
        price = items[0].get("price_data") or {}
        amount = int(price.get("unit_amount", 0)) * int(items[0].get("quantity", 1))
        if mode == "subscription" and (price.get("recurring") or {}).get("interval") != "month":
            return 400, {"error": {"type": "invalid_request_error", "message": "recurring price needed"}}
        session_id = _new_id("cs")
        session = {
            "id": session_id, "object": "checkout.session", "mode": mode, "status": "open",
            "payment_status": "unpaid", "amount_total": amount, "amount_subtotal": amount,
            "currency": price.get("currency"), "client_reference_id": params.get("client_reference_id"),
            "customer": None, "customer_email": params.get("customer_email"), "payment_intent": None,
            "subscription": None, "metadata": params.get("metadata") or {}, "success_url": params.get("success_url"),
            "cancel_url": params.get("cancel_url"), "url": f"{self.url}/pay/{session_id}",
            "created": int(time.time()), "expires_at": int(time.time()) + 86400, "livemode": False,
            "_payment_intent_metadata": (params.get("payment_intent_data") or {}).get("metadata") or {},
            "_subscription_metadata": (params.get("subscription_data") or {}).get("metadata") or {},
        }
        self.sessions[session_id] = session
        return 200, self._public(session)

    def get_session(self, params, id):
        session = self.sessions.get(id)
        if session is None:
            return 404, {"error": {"type": "invalid_request_error", "code": "resource_missing",
                                   "message": f"No such checkout.session: '{id}'"}}
        return 200, self._public(session)

    def expire_session(self, params, id):
        session = self.sessions.get(id)
        if session is None:
            return 404, {"error": {"type": "invalid_request_error", "code": "resource_missing", "message": "missing"}}
        if session["status"] != "open":
            return 400, {"error": {"type": "invalid_request_error",
                                   "message": f"Only Checkout Sessions with a status in [\"open\"] can be expired. "
                                              f"This Checkout Session has a status of \"{session['status']}\"."}}
        session["status"] = "expired"
        return 200, self._public(session)

    def create_refund(self, params):
        payment_id = params.get("payment_intent") or params.get("charge")
        payment = self.payments.get(payment_id) or next(
            (p for p in self.payments.values() if p["charge"] == payment_id), None)
        if payment is None:
            return 404, {"error": {"type": "invalid_request_error", "code": "resource_missing",
                                   "message": f"No such payment_intent: '{payment_id}'"}}
        amount = int(params.get("amount") or payment["amount"] - payment["refunded"])
        if amount > payment["amount"] - payment["refunded"]:
            return 400, {"error": {"type": "invalid_request_error", "code": "amount_too_large",
                                   "message": "Refund amount is greater than unrefunded amount on charge"}}
        refund = {"id": _new_id("re"), "object": "refund", "amount": amount, "currency": payment["currency"],
                  "payment_intent": payment["id"], "charge": payment["charge"], "status": self.refund_status,
                  "metadata": params.get("metadata") or {}, "created": int(time.time())}
        if refund["status"] in ("succeeded", "pending"):
            payment["refunded"] += amount
        self.refunds[refund["id"]] = refund
        return 200, refund

    def cancel_subscription(self, params, id):
        subscription = self.subscriptions.get(id)
        if subscription is None:
            return 404, {"error": {"type": "invalid_request_error", "code": "resource_missing",
                                   "message": f"No such subscription: '{id}'"}}
        subscription["status"] = "canceled"
        subscription["canceled_at"] = int(time.time())
        return 200, dict(subscription)

    @staticmethod
    def _public(session: dict) -> dict:
        return {key: value for key, value in session.items() if not key.startswith("_")}

    # --- Stripe's side of a payment (for tests) -------------------------------------------------------
    def _new_payment(self, amount: int, currency: str, metadata: dict) -> dict:
        payment = {"id": _new_id("pi"), "charge": _new_id("ch"), "amount": amount, "currency": currency,
                   "refunded": 0, "metadata": dict(metadata)}
        self.payments[payment["id"]] = payment
        return payment

    def complete_session(self, session_id: str, paid: bool = True, amount_total: int | None = None,
                         currency: str | None = None) -> dict:
        """The donor paid (or, paid=False, started an asynchronous payment). Returns the session object."""
        with self.lock:
            session = self.sessions[session_id]
            session["status"] = "complete"
            session["payment_status"] = "paid" if paid else "unpaid"
            if amount_total is not None:
                session["amount_total"] = amount_total
            if currency is not None:
                session["currency"] = currency
            if session["mode"] == "payment" and session["payment_intent"] is None:
                session["payment_intent"] = self._new_payment(session["amount_total"], session["currency"],
                                                              session["_payment_intent_metadata"])["id"]
            if session["mode"] == "subscription" and session["subscription"] is None:
                session["customer"] = _new_id("cus")
                subscription = {"id": _new_id("sub"), "object": "subscription", "status": "active",
                                "customer": session["customer"], "metadata": session["_subscription_metadata"],
                                "_amount": session["amount_total"], "_currency": session["currency"]}
                self.subscriptions[subscription["id"]] = subscription
                session["subscription"] = subscription["id"]
            return self._public(session)

    def invoice_paid(self, subscription_id: str, amount_paid: int | None = None) -> dict:
        """One paid month of a subscription, in the invoice shape of the current API version."""
        with self.lock:
            subscription = self.subscriptions[subscription_id]
            amount = subscription["_amount"] if amount_paid is None else amount_paid
            payment = self._new_payment(amount, subscription["_currency"], subscription["metadata"])
            return {"id": _new_id("in"), "object": "invoice", "status": "paid", "amount_paid": amount,
                    "amount_due": amount, "currency": subscription["_currency"],
                    "customer": subscription["customer"], "billing_reason": "subscription_cycle",
                    "parent": {"type": "subscription_details", "subscription_details": {
                        "subscription": subscription_id, "metadata": dict(subscription["metadata"])}},
                    "payments": {"object": "list", "data": [{"object": "invoice_payment", "payment": {
                        "type": "payment_intent", "payment_intent": payment["id"]}}]},
                    "lines": {"object": "list", "data": []}}

    def subscription(self, subscription_id: str) -> dict:
        return {key: value for key, value in self.subscriptions[subscription_id].items() if not key.startswith("_")}

    def charge(self, payment_intent: str) -> dict:
        """The charge of a payment as Stripe shows it now (amount_refunded is cumulative)."""
        payment = self.payments[payment_intent]
        return {"id": payment["charge"], "object": "charge", "amount": payment["amount"],
                "amount_refunded": payment["refunded"], "refunded": payment["refunded"] >= payment["amount"],
                "currency": payment["currency"], "payment_intent": payment["id"], "paid": True,
                "metadata": dict(payment["metadata"])}

    def refund_at_stripe(self, payment_intent: str, amount: int) -> dict:
        """A refund made in Stripe's dashboard, not through the portal."""
        self.payments[payment_intent]["refunded"] += amount
        return self.charge(payment_intent)

    def dispute(self, payment_intent: str, status: str = "needs_response", dispute_id: str | None = None,
                amount: int | None = None) -> dict:
        payment = self.payments[payment_intent]
        return {"id": dispute_id or _new_id("dp"), "object": "dispute",
                "amount": payment["amount"] if amount is None else amount, "currency": payment["currency"],
                "charge": payment["charge"], "payment_intent": payment["id"], "reason": "fraudulent",
                "status": status, "metadata": {}}


# --- webhooks --------------------------------------------------------------------------------------

def event(event_type: str, obj: dict, event_id: str | None = None, created: int | None = None) -> dict:
    return {"id": event_id or _new_id("evt"), "object": "event", "api_version": API_VERSION,
            "created": created or int(time.time()), "livemode": False, "pending_webhooks": 1,
            "type": event_type, "data": {"object": obj}}


def signature(body: bytes, secret: str, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={signed}"


def signed(payload: dict, secret: str, timestamp: int | None = None) -> tuple[bytes, dict]:
    """(body, headers) of a webhook delivery, signed as Stripe signs it."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    return body, {"Stripe-Signature": signature(body, secret, timestamp), "Content-Type": "application/json"}
