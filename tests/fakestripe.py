"""A small fake Stripe HTTP server for tests.

The official ``stripe`` library runs unmodified against it::

    fake = FakeStripe().start()
    client = stripe.StripeClient(
        "sk_test_fake", base_addresses={"api": fake.url}, max_network_retries=0
    )
    session = client.v1.checkout.sessions.create(params={...})
    fake.complete(session.id)  # what the buyer does; POSTs a signed webhook
    fake.stop()

It fakes only what the project uses: Checkout Sessions (mode=payment with
``price_data`` line items), the PaymentIntents they create, Refunds, a hosted
payment page at ``/pay/<id>`` and signed webhook events. Requests are checked
roughly as Stripe checks them and errors have Stripe's JSON shape, so the
library raises its own exception classes. Tests can inject failures and
delays. Standard library only, and no Django, so any test can use it.
"""

import hashlib
import hmac
import html
import json
import re
import secrets
import string
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

API_VERSION = "2026-10-28.endive"  # what stripe 16.1.0 pins
MERCHANT = "Public Sector Digital Midlands"
_ID_CHARS = string.ascii_letters + string.digits
_SYMBOLS = {"gbp": "£", "usd": "$", "eur": "€"}
_REFUND_REASONS = {"duplicate", "fraudulent", "requested_by_customer"}


def sign_payload(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """The ``Stripe-Signature`` header value for ``payload``: ``t=<t>,v1=<hex>``."""
    t = int(time.time()) if timestamp is None else timestamp
    signed = f"{t}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def parse_params(raw: str) -> dict:
    """Parse Stripe's form encoding (``a[b][0][c]=1``) into nested dicts/lists.

    Values stay strings, as on the wire; a dict whose keys are all numbers
    (``expand[0]``, ``line_items[1]``) becomes a list in index order.
    """
    result: dict = {}
    for key, value in urllib.parse.parse_qsl(raw, keep_blank_values=True):
        base, _, rest = key.partition("[")
        parts = [base] + (rest.rstrip("]").split("][") if rest else [])
        node = result
        for part in parts[:-1]:
            if not isinstance(node.get(part), dict):
                node[part] = {}  # e.g. "metadata=" (unset) then "metadata[x]"
            node = node[part]
        node[parts[-1]] = value
    return _listify(result)


def _listify(value):
    if not isinstance(value, dict):
        return value
    items = {k: _listify(v) for k, v in value.items()}
    if items and all(k.isdigit() for k in items):
        return [items[k] for k in sorted(items, key=int)]
    return items


def format_amount(amount: int, currency: str) -> str:
    """Minor units to display text: ``9500, "gbp"`` -> ``£95.00``."""
    number = f"{amount // 100:,}.{amount % 100:02d}"
    symbol = _SYMBOLS.get(currency.lower())
    return f"{symbol}{number}" if symbol else f"{number} {currency.upper()}"


def _new_id(prefix: str) -> str:
    return prefix + "".join(secrets.choice(_ID_CHARS) for _ in range(24))


def _copy(obj):
    """A deep copy of a JSON-like object, so callers never share our state."""
    return json.loads(json.dumps(obj))


class FakeStripeError(Exception):
    """A Stripe API error; the server answers it as Stripe's error JSON.

    Also raised by the programmatic helpers (``complete()`` on an unknown or
    already expired session, an over-refund in ``refund_in_dashboard()``).
    """

    def __init__(
        self, status, message, *, type="invalid_request_error", code=None, param=None
    ):
        super().__init__(message)
        self.status = status
        self.body = {"type": type, "message": message, "code": code, "param": param}


def _missing(param: str) -> FakeStripeError:
    return FakeStripeError(
        400, f"Missing required param: {param}.", code="parameter_missing", param=param
    )


def _int(value, param: str, minimum: int) -> int:
    """Stripe's integer check for a form value."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = None
    if number is None or number < minimum:
        raise FakeStripeError(
            400,
            f"Invalid integer: {value}",
            code="parameter_invalid_integer",
            param=param,
        )
    return number


def _metadata(params: dict, param: str = "metadata") -> dict:
    """Stripe's metadata rules: string values, <= 50 keys, keys <= 40, values <= 500."""
    metadata = params.get(param) or {}
    if not isinstance(metadata, dict):
        raise FakeStripeError(400, "Invalid object", param=param)
    if len(metadata) > 50:
        raise FakeStripeError(400, "Metadata can have at most 50 keys.", param=param)
    for key, value in metadata.items():
        if len(key) > 40 or not isinstance(value, str) or len(value) > 500:
            raise FakeStripeError(400, f"Invalid metadata: {key}", param=param)
    return metadata


class FakeStripe:
    def __init__(
        self,
        *,
        webhook_url: str | None = None,
        webhook_secret: str = "whsec_test_fake",  # noqa: S107 (a test secret)
    ):
        self.url = ""
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret
        self.sessions: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        # Extras: payment intents made by complete(), every event made, and
        # every delivery as (event id, HTTP status).
        self.payment_intents: dict[str, dict] = {}
        self.events: list[dict] = []
        self.deliveries: list[tuple[str, int]] = []
        self.requests: list[tuple[str, str, dict]] = []
        self._line_items: dict[str, list[dict]] = {}
        self._idempotent: dict[str, tuple] = {}  # key -> (method, path, params, resp)
        self._failures: list[list] = []  # [path prefix, status, times left]
        self._delays: list[list] = []  # [path prefix, seconds, times left]
        self._lock = threading.RLock()  # one lock around all state
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> "FakeStripe":
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        host, port = self._server.server_address[:2]
        self.url = f"http://{host}:{port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},  # so stop() is quick
            name="FakeStripe",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = None

    # -- failure injection -------------------------------------------------

    def fail_next(self, path_prefix: str, *, status: int = 500, times: int = 1) -> None:
        """The next ``times`` API requests under ``path_prefix`` fail unexecuted."""
        with self._lock:
            self._failures.append([path_prefix, status, times])

    def delay_next(self, path_prefix: str, seconds: float, *, times: int = 1) -> None:
        """The next ``times`` API requests under ``path_prefix`` are answered late.

        The request is carried out first, then the answer waits: like a real
        timeout, the client cannot tell whether anything happened.
        """
        with self._lock:
            self._delays.append([path_prefix, seconds, times])

    def _take(self, rules: list[list], path: str):
        for rule in rules:
            if path.startswith(rule[0]):
                rule[2] -= 1
                if rule[2] <= 0:
                    rules.remove(rule)
                return rule[1]
        return None

    # -- what the buyer or the dashboard does --------------------------------

    def complete(self, session_id: str, *, send_webhook: bool = True) -> dict:
        """The buyer pays: session complete and paid. Returns the event."""
        with self._lock:
            session = self._open_session(session_id)
            intent = self._new_payment_intent(session, "succeeded")
            session.update(status="complete", payment_status="paid", url=None)
            session["payment_intent"] = intent["id"]
            event = self.make_event("checkout.session.completed", session)
        return self._send(event, send_webhook)

    def fail_async_payment(self, session_id: str, *, send_webhook: bool = True) -> dict:
        """A delayed payment method (e.g. Bacs) fails after checkout."""
        with self._lock:
            session = self._open_session(session_id)
            intent = self._new_payment_intent(session, "requires_payment_method")
            session.update(status="complete", payment_status="unpaid", url=None)
            session["payment_intent"] = intent["id"]
            event = self.make_event("checkout.session.async_payment_failed", session)
        return self._send(event, send_webhook)

    def expire(self, session_id: str, *, send_webhook: bool = True) -> dict:
        with self._lock:
            session = self._open_session(session_id)
            session.update(status="expired", url=None)
            event = self.make_event("checkout.session.expired", session)
        return self._send(event, send_webhook)

    def refund_in_dashboard(
        self,
        payment_intent: str,
        amount: int | None = None,
        *,
        send_webhook: bool = True,
    ) -> dict:
        """Someone refunds in the dashboard: no metadata. Returns the event."""
        params = {"payment_intent": payment_intent}
        if amount is not None:
            params["amount"] = str(amount)
        with self._lock:
            refund = self._create_refund(params)
            event = self.make_event("refund.created", refund)
        return self._send(event, send_webhook)

    def _open_session(self, session_id: str) -> dict:
        session = self._get(self.sessions, session_id, "checkout.session")
        if session["status"] != "open":
            raise FakeStripeError(
                400,
                'Only Checkout Sessions with a status in ["open"] can be expired or '
                f'paid. This Checkout Session has a status of "{session["status"]}".',
            )
        return session

    def _new_payment_intent(self, session: dict, status: str) -> dict:
        paid = status == "succeeded"
        intent = {
            "id": _new_id("pi_"),
            "object": "payment_intent",
            "amount": session["amount_total"],
            "amount_received": session["amount_total"] if paid else 0,
            "amount_refunded": 0,  # not a Stripe field: what refunds have used
            "currency": session["currency"],
            "status": status,
            "latest_charge": _new_id("ch_") if paid else None,
            "metadata": {},
            "created": int(time.time()),
            "livemode": False,
        }
        self.payment_intents[intent["id"]] = intent
        return intent

    # -- webhooks ------------------------------------------------------------

    def make_event(self, type: str, obj: dict) -> dict:
        event = {
            "id": _new_id("evt_"),
            "object": "event",
            "type": type,
            "api_version": API_VERSION,
            "created": int(time.time()),
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None},
            "data": {"object": _copy(obj)},
        }
        with self._lock:
            self.events.append(event)
        return event

    def sign(
        self, payload: bytes, *, secret: str | None = None, timestamp: int | None = None
    ) -> str:
        return sign_payload(payload, secret or self.webhook_secret, timestamp)

    def deliver(self, event: dict, *, secret: str | None = None) -> int:
        """POST ``event`` to ``webhook_url``, signed; return the HTTP status.

        4xx/5xx answers are returned, not raised; a refused connection raises.
        """
        if not (self.webhook_url or "").startswith(("http://", "https://")):
            raise RuntimeError(f"FakeStripe.webhook_url is {self.webhook_url!r}")
        payload = json.dumps(event, indent=2).encode()
        request = urllib.request.Request(  # noqa: S310 (http(s) checked above)
            self.webhook_url,
            data=payload,
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Stripe-Signature": self.sign(payload, secret=secret),
                "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        with self._lock:
            self.deliveries.append((event["id"], status))
        return status

    def _send(self, event: dict, send_webhook: bool) -> dict:
        # Called without the lock held: the receiver may call back into us.
        if send_webhook and self.webhook_url:
            self.deliver(event)
        return event

    # -- the API -----------------------------------------------------------

    def handle_api(self, method: str, path: str, params: dict, headers) -> tuple:
        """Answer one /v1 request: (status, JSON body, extra headers, delay)."""
        with self._lock:
            self.requests.append((method, path, params))
            extra = {"Request-Id": _new_id("req_")}
            auth = headers.get("Authorization", "")
            if not auth.startswith("Bearer sk_"):
                error = FakeStripeError(
                    401, "Invalid API Key provided: use Authorization: Bearer sk_..."
                )
                return 401, {"error": error.body}, extra, 0
            delay = self._take(self._delays, path) or 0
            status = self._take(self._failures, path)
            if status is not None:
                kind = "api_error" if status >= 500 else "invalid_request_error"
                body = {
                    "error": FakeStripeError(status, "Injected failure", type=kind).body
                }
                return status, body, extra, delay
            key = headers.get("Idempotency-Key") if method == "POST" else None
            if key and key in self._idempotent:
                first_method, first_path, first_params, saved = self._idempotent[key]
                if (first_method, first_path, first_params) != (method, path, params):
                    error = FakeStripeError(
                        400,
                        "Keys for idempotent requests can only be used with the same "
                        "parameters they were first used with.",
                        type="idempotency_error",
                    )
                    return 400, {"error": error.body}, extra, delay
                extra["Idempotent-Replayed"] = "true"
                return saved[0], _copy(saved[1]), extra, delay
            try:
                status, body = 200, self._route(method, path, params)
            except FakeStripeError as error:
                status, body = error.status, {"error": error.body}
            if key and status == 200:
                # Stripe saves results once a request has run, not failed checks.
                self._idempotent[key] = (method, path, params, (status, _copy(body)))
            return status, body, extra, delay

    def _route(self, method: str, path: str, params: dict) -> dict:
        parts = path.strip("/").split("/")[1:]  # without "v1"
        match (method, parts):
            case ("POST", ["checkout", "sessions"]):
                return self._create_session(params)
            case ("GET", ["checkout", "sessions", session_id]):
                session = self._get(self.sessions, session_id, "checkout.session")
                return self._expand(session, params.get("expand") or [])
            case ("POST", ["checkout", "sessions", session_id, "expire"]):
                session = self._open_session(session_id)  # 404 or 400 if not open
                session.update(status="expired", url=None)
                return _copy(session)
            case ("POST", ["refunds"]):
                return _copy(self._create_refund(params))
            case ("GET", ["refunds", refund_id]):
                return _copy(self._get(self.refunds, refund_id, "refund"))
            case ("GET", ["payment_intents", intent_id]):
                return _copy(
                    self._get(self.payment_intents, intent_id, "payment_intent")
                )
        raise FakeStripeError(404, f"Unrecognized request URL ({method}: {path}).")

    def _get(self, store: dict, object_id: str, kind: str) -> dict:
        if object_id not in store:
            raise FakeStripeError(
                404,
                f"No such {kind}: '{object_id}'",
                code="resource_missing",
                param="id",
            )
        return store[object_id]

    def _expand(self, session: dict, expand: list) -> dict:
        session = _copy(session)
        if "line_items" in expand:
            items = self._line_items[session["id"]]
            session["line_items"] = {
                "object": "list",
                "data": _copy(items),
                "has_more": False,
            }
        if "payment_intent" in expand and session["payment_intent"]:
            session["payment_intent"] = _copy(
                self.payment_intents[session["payment_intent"]]
            )
        return session

    def _create_session(self, params: dict) -> dict:
        for name in ("mode", "success_url", "cancel_url", "line_items"):
            if not params.get(name):
                raise _missing(name)
        if params["mode"] != "payment":
            raise FakeStripeError(
                400, "This fake supports only mode=payment.", param="mode"
            )
        if not isinstance(params["line_items"], list):
            raise FakeStripeError(400, "Invalid array", param="line_items")
        items, currencies = [], set()
        for n, item in enumerate(params["line_items"]):
            prefix = f"line_items[{n}]"
            price = item.get("price_data") if isinstance(item, dict) else None
            if not isinstance(price, dict):
                raise _missing(f"{prefix}[price_data]")
            product = price.get("product_data")
            if not isinstance(product, dict) or not product.get("name"):
                raise _missing(f"{prefix}[price_data][product_data][name]")
            for name in ("currency", "unit_amount"):
                if not price.get(name):
                    raise _missing(f"{prefix}[price_data][{name}]")
            if "quantity" not in item:
                raise _missing(f"{prefix}[quantity]")
            unit = _int(price["unit_amount"], f"{prefix}[price_data][unit_amount]", 0)
            quantity = _int(item["quantity"], f"{prefix}[quantity]", 1)
            currency = price["currency"].lower()
            currencies.add(currency)
            items.append(
                {
                    "id": _new_id("li_"),
                    "object": "item",
                    "description": product["name"],
                    "quantity": quantity,
                    "currency": currency,
                    "amount_subtotal": unit * quantity,
                    "amount_total": unit * quantity,
                    "price": {
                        "object": "price",
                        "unit_amount": unit,
                        "currency": currency,
                    },
                }
            )
        if len(currencies) > 1:
            raise FakeStripeError(
                400, "All line items must use the same currency.", param="line_items"
            )
        now = int(time.time())
        expires_at = now + 24 * 3600
        if params.get("expires_at"):
            expires_at = _int(params["expires_at"], "expires_at", 0)
            # Stripe: "between 30 minutes and 24 hours after creation" (no slack).
            if not now + 30 * 60 <= expires_at <= now + 24 * 3600:
                raise FakeStripeError(
                    400,
                    "The `expires_at` timestamp must be at least 30 minutes and "
                    "less than 24 hours from Checkout Session creation.",
                    code="parameter_invalid",
                    param="expires_at",
                )
        if len(params.get("client_reference_id") or "") > 200:
            raise FakeStripeError(
                400, "client_reference_id is too long.", param="client_reference_id"
            )
        session_id = _new_id("cs_test_")
        total = sum(item["amount_total"] for item in items)
        session = {
            "id": session_id,
            "object": "checkout.session",
            "status": "open",
            "payment_status": "unpaid",
            "url": f"{self.url}/pay/{session_id}",
            "client_reference_id": params.get("client_reference_id"),
            "customer_email": params.get("customer_email"),
            "metadata": _metadata(params),
            "amount_subtotal": total,
            "amount_total": total,
            "currency": currencies.pop(),
            "expires_at": expires_at,
            "payment_intent": None,
            "success_url": params["success_url"],
            "cancel_url": params["cancel_url"],
            "mode": "payment",
            "livemode": False,
            "created": now,
        }
        self.sessions[session_id] = session
        self._line_items[session_id] = items
        return self._expand(session, params.get("expand") or [])

    def _create_refund(self, params: dict) -> dict:
        intent_id = params.get("payment_intent")
        if not intent_id:
            raise _missing("payment_intent")
        intent = self.payment_intents.get(intent_id)
        if intent is None:
            raise FakeStripeError(
                400,
                f"No such payment_intent: '{intent_id}'",
                code="resource_missing",
                param="payment_intent",
            )
        if intent["status"] != "succeeded":
            raise FakeStripeError(
                400,
                "This PaymentIntent does not have a successful charge to refund.",
                code="charge_not_refundable",
            )
        left = intent["amount_received"] - intent["amount_refunded"]
        if left <= 0:
            raise FakeStripeError(
                400,
                f"Charge {intent['latest_charge']} has already been refunded.",
                code="charge_already_refunded",
            )
        amount = left
        if params.get("amount") is not None:
            amount = _int(params["amount"], "amount", 1)
        if amount > left:
            currency = intent["currency"]
            raise FakeStripeError(
                400,
                f"Refund amount ({format_amount(amount, currency)}) is greater than "
                f"unrefunded amount on charge ({format_amount(left, currency)})",
                code="amount_too_large",
                param="amount",
            )
        reason = params.get("reason") or None
        if reason is not None and reason not in _REFUND_REASONS:
            raise FakeStripeError(400, f"Invalid reason: {reason}", param="reason")
        metadata = _metadata(params)
        intent["amount_refunded"] += amount
        refund = {
            "id": _new_id("re_"),
            "object": "refund",
            "amount": amount,
            "currency": intent["currency"],
            "payment_intent": intent_id,
            "charge": intent["latest_charge"],
            "status": "succeeded",
            "reason": reason,
            "metadata": metadata,
            "created": int(time.time()),
        }
        self.refunds[refund["id"]] = refund
        return refund

    # -- the hosted payment page ---------------------------------------------

    def handle_page(self, method: str, session_id: str) -> tuple:
        """Answer /pay/<id>: (status, HTML or None, extra headers)."""
        with self._lock:
            session = self.sessions.get(session_id)
            if session is None:
                return 404, _page("Payment not found", "<p>No such payment.</p>"), {}
            if session["status"] == "expired":
                return (
                    400,
                    _page(
                        "This payment page has expired",
                        "<p>Go back to the booking and start again.</p>",
                    ),
                    {},
                )
            success = session["success_url"].replace(
                "{CHECKOUT_SESSION_ID}", session_id
            )
            if session["status"] == "complete":
                return 303, None, {"Location": success}
            if method == "GET":
                return 200, _payment_page(session, self._line_items[session_id]), {}
        try:  # POST: the buyer pays (outside the lock: the webhook calls back)
            self.complete(session_id)
        except FakeStripeError:  # expired meanwhile
            return 400, _page("This payment page has expired", ""), {}
        except OSError:
            pass  # webhook delivery failed: Stripe would retry later; ignore
        return 303, None, {"Location": success}


def _page(title: str, body: str) -> str:
    """A minimal accessible page (axe-core clean): lang, title, main, h1."""
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} - Stripe test mode</title>
<style>
body {{ font-family: Arial, sans-serif; color: #0b0c0c; background: #fff;
  max-width: 40rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.5; }}
button {{ font-size: 1.2rem; padding: .6rem 1.2rem; color: #fff;
  background: #00703c; border: 0; border-radius: 4px; cursor: pointer; }}
button:focus, a:focus {{ outline: 3px solid #fd0; }}
a {{ color: #1d70b8; }}
</style>
</head>
<body>
<main>
<h1>{html.escape(title)}</h1>
{body}
</main>
</body>
</html>
"""


def _payment_page(session: dict, items: list[dict]) -> str:
    currency = session["currency"]
    total = format_amount(session["amount_total"], currency)
    rows = "\n".join(
        f"<li>{html.escape(item['description'])} &times; {item['quantity']}: "
        f"{format_amount(item['amount_total'], currency)}</li>"
        for item in items
    )
    cancel = html.escape(session["cancel_url"], quote=True)
    body = f"""<p>Test mode: no real money is taken.</p>
<ul>
{rows}
</ul>
<form method="post">
<button type="submit">Pay {total}</button>
</form>
<p><a href="{cancel}">Cancel and go back</a></p>"""
    return _page(f"Pay {total} to {MERCHANT}", body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a delayed answer must not hold up stop()

    def handle_error(self, request, client_address):
        pass  # only I/O errors get here (a client hung up); _dispatch catches bugs


class _Handler(BaseHTTPRequestHandler):
    server_version = "FakeStripe/1.0"

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_DELETE(self):
        self._dispatch("DELETE")

    def log_message(self, format, *args):
        pass  # quiet

    def _dispatch(self, method: str) -> None:
        fake: FakeStripe = self.server.fake
        url = urllib.parse.urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode() if length else ""
        delay = 0
        try:
            if url.path.startswith("/v1/"):
                params = parse_params(raw if method == "POST" else url.query)
                status, body, headers, delay = fake.handle_api(
                    method, url.path, params, self.headers
                )
                content = json.dumps(body, indent=2).encode()
                content_type = "application/json"
            else:
                page = re.fullmatch(r"/pay/([A-Za-z0-9_]+)", url.path)
                if page and method in ("GET", "POST"):
                    status, text, headers = fake.handle_page(method, page.group(1))
                else:
                    status, text, headers = 404, _page("Page not found", ""), {}
                content = (text or "").encode()
                content_type = "text/html; charset=utf-8"
        except Exception as error:  # a bug in the fake: say so, as Stripe would
            status, headers, content_type = 500, {}, "application/json"
            body = {"error": {"type": "api_error", "message": f"FakeStripe: {error!r}"}}
            content = json.dumps(body).encode()
        if delay:
            time.sleep(delay)
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(content)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(content)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timed out) before we answered
