"""Shared fixtures: an on-sale event with ticket types, and booking helpers."""

from datetime import timedelta

import pytest
from django.utils import timezone

from events.models import Event
from tickets.models import TicketType
from tickets.services import AttendeeDetails, BillingDetails, OrderLine, order_create


def make_event(**overrides) -> Event:
    start = timezone.now() + timedelta(days=30)
    values = {
        "name": "Test conference",
        "slug": "test-conference",
        "summary": "A day of talks.",
        "starts_at": start,
        "ends_at": start + timedelta(hours=8),
        "venue_name": "Test venue",
        "venue_address": "1 High Street\nBirmingham",
        "capacity": 250,
        "is_published": True,
    }
    values.update(overrides)
    return Event.objects.create(**values)


def make_ticket_type(event: Event, **overrides) -> TicketType:
    values = {"name": "Public sector", "price_pence": 0, "max_per_order": 10}
    values.update(overrides)
    return TicketType.objects.create(event=event, **values)


def attendee(n: int = 0, **overrides) -> AttendeeDetails:
    values = {
        "first_name": f"Ada{n}",
        "last_name": "Lovelace",
        "email": f"ada{n}@example.gov.uk",
        "organisation": "Office of the Public Guardian",
        "sector": "central_government",
    }
    values.update(overrides)
    return AttendeeDetails(**values)


def lines(ticket_type: TicketType, count: int) -> list[OrderLine]:
    return [
        OrderLine(ticket_type_id=ticket_type.pk, attendee=attendee(i))
        for i in range(count)
    ]


def billing(**overrides) -> BillingDetails:
    values = {
        "organisation": "Birmingham City Council",
        "contact_name": "Accounts Payable",
        "contact_email": "invoices@birmingham.gov.uk",
        "address": "Council House\nVictoria Square\nBirmingham B1 1BB",
        "po_number": "PO-12345",
    }
    values.update(overrides)
    return BillingDetails(**values)


def book(
    event: Event,
    ticket_type: TicketType,
    count: int = 1,
    *,
    payment_method: str | None = None,
    billing: BillingDetails | None = None,
    **buyer,
):
    """Book `count` places through the booking service."""
    return order_create(
        event_id=event.pk,
        buyer_name=buyer.get("buyer_name", "Grace Hopper"),
        buyer_email=buyer.get("buyer_email", "grace@example.gov.uk"),
        lines=lines(ticket_type, count),
        payment_method=payment_method,
        billing=billing,
    )


def hold(order, *, minutes: float = 30):
    """Make a booked order a card order whose places are held for `minutes`
    more (negative: a hold that has already run out)."""
    from tickets.models import Order, Ticket

    Order.objects.filter(pk=order.pk).update(
        status=Order.Status.PENDING,
        payment_status=Order.PaymentStatus.AWAITING,
        payment_method=Order.PaymentMethod.CARD,
        hold_expires_at=timezone.now() + timedelta(minutes=minutes),
    )
    order.tickets.update(status=Ticket.Status.HELD)
    order.refresh_from_db()
    return order


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    """Every test comes from 127.0.0.1, so the per-address rate limits are
    off; tests/security/test_ratelimit.py turns them on where it tests them."""
    settings.PSDM_RATE_LIMITS_ENABLED = False


@pytest.fixture(autouse=True)
def _fresh_local_caches():
    """Each test starts with empty in-process caches: what one test remembered
    (a user's check-in permission, a rate count) must not leak into the next,
    where SQLite may give a new user the same id."""
    from django.core.cache import caches
    from django.core.cache.backends.locmem import LocMemCache

    for cache in caches.all():
        if isinstance(cache, LocMemCache):
            cache.clear()


@pytest.fixture
def event(db) -> Event:
    return make_event()


@pytest.fixture
def free_type(event) -> TicketType:
    return make_ticket_type(event)


@pytest.fixture
def paid_type(event) -> TicketType:
    return make_ticket_type(event, name="Supplier", price_pence=9500, position=2)


@pytest.fixture
def fake_stripe(settings):
    """A fake Stripe API on 127.0.0.1, with the stripe library pointed at it."""
    from tests.fakestripe import FakeStripe

    fake = FakeStripe().start()
    settings.STRIPE_SECRET_KEY = "sk_test_fake"
    settings.STRIPE_WEBHOOK_SECRET = fake.webhook_secret
    settings.STRIPE_API_BASE = fake.url
    settings.STRIPE_TIMEOUT_SECONDS = 2
    yield fake
    fake.stop()


def post_webhook(client, fake, event: dict, *, secret: str | None = None):
    """Deliver a Stripe event to our webhook the way Stripe does: signed."""
    import json

    payload = json.dumps(event).encode()
    return client.post(
        "/stripe/webhook/",
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=fake.sign(payload, secret=secret),
    )


def paid_by_card(event: Event, ticket_type: TicketType, fake, count: int = 1):
    """An order paid by card the real way: held, a Checkout Session created
    on the fake Stripe, paid there, and the session synced back."""
    from tickets.services import Actor, checkout_session_sync, checkout_start

    order = book(event, ticket_type, count=count, payment_method="card")
    checkout_start(order_id=order.pk, success_url="http://x/s", cancel_url="http://x/c")
    order.refresh_from_db()
    fake.complete(order.stripe_session_id, send_webhook=False)
    checkout_session_sync(
        order_id=order.pk,
        session=fake.sessions[order.stripe_session_id],
        actor=Actor.stripe(),
    )
    order.refresh_from_db()
    return order


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """send(fn, ...) runs fn as if its transaction committed, so the e-mails
    (and other on-commit work) it causes go out, in-process."""

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


@pytest.fixture
def organiser(django_user_model):
    """The organiser: a superuser (no two-factor device set up)."""
    return django_user_model.objects.create_superuser(
        "organiser", "organiser@example.gov.uk", "pw"
    )


@pytest.fixture
def organiser_client(client, organiser):
    """The test client, signed in to admin as the organiser."""
    client.force_login(organiser)
    return client
