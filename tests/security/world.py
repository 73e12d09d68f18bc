"""A small, real world for the security tests: an event, two buyers'
bookings, one object of every model the admin shows, and a client for each
role (see ROLES)."""

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from events.models import Session, Speaker
from sponsors.models import Sponsor, SponsorTier
from tests.conftest import billing, book, make_event, make_ticket_type
from tickets.booking import remember_order
from tickets.models import (
    BadgeSheet,
    Broadcast,
    Code,
    Email,
    Order,
    Refund,
    Scan,
    StripeEvent,
    WaitlistEntry,
    WaitlistOffer,
    new_secret,
)
from tickets.roles import DOOR_STAFF_GROUP, ORGANISER_GROUP
from tickets.services import door_devices
from tickets.services.reservations import reservation_create

# Who asks. "attendee" is anonymous too: what they hold is their booking's
# manage-my-booking link (and a session that remembers their booking).
ROLES = ("anonymous", "attendee", "user", "door", "organiser", "superuser")
STAFF_ROLES = ("door", "organiser", "superuser")
MEDIA_FILE = "speakers/authz-photo.txt"


@dataclass
class World:
    event: object
    order: object  # the attendee's own booking (by invoice: it has one)
    other: object  # someone else's booking
    offer: object  # a place offered to the attendee from the waiting list
    users: dict = field(default_factory=dict)

    @property
    def ticket(self):
        return self.order.tickets.order_by("pk").first()

    @property
    def other_ticket(self):
        return self.other.tickets.order_by("pk").first()

    def client(self, role: str, **kwargs) -> Client:
        client = Client(raise_request_exception=False, **kwargs)
        if role in self.users:
            client.force_login(self.users[role])
        if role == "attendee":
            session = client.session
            remember_order(session, self.order.reference)
            session.save()
        return client

    def link(self, role: str) -> dict:
        """The manage-my-booking link parts this role holds for the
        attendee's booking: the real ones for the attendee, a real secret of
        another booking for everybody else."""
        mine = role == "attendee"
        return {
            "reference": self.order.reference,
            "secret": self.order.secret if mine else self.other.secret,
            "token": self.offer.token if mine else new_secret(),
        }


def _user(username: str, *, group: str | None = None, **flags):
    # No password: clients sign in with force_login (hashing one is slow).
    user = get_user_model().objects.create_user(username, password=None, **flags)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


def world_make(media_root) -> World:
    """Make the world (needs the database); uploads go under `media_root`."""
    event = make_event(
        invoice_payment_enabled=True,
        vat_rate_percent=Decimal("20"),
        vat_number="GB123456789",
        invoice_issuer="Public Sector Digital Midlands\nBirmingham",
        invoice_payment_details="Sort code 00-00-00, account 12345678",
    )
    free = make_ticket_type(event)
    paid = make_ticket_type(event, name="Supplier", price_pence=9500, position=2)
    order = book(event, paid, 2, payment_method="invoice", billing=billing())
    other = book(event, free, 2, buyer_email="someone@example.gov.uk")
    assert order.status == Order.Status.CONFIRMED and hasattr(order, "invoice")
    # Somebody else's booking in progress (admin shows reservations).
    reservation_create(event_id=event.pk, quantities={free.pk: 1})

    users = {
        "user": _user("no-role"),
        "door": _user("door", group=DOOR_STAFF_GROUP),
        "organiser": _user("organiser", group=ORGANISER_GROUP, is_staff=True),
        "superuser": get_user_model().objects.create_superuser("root", password=None),
    }
    other_ticket = other.tickets.order_by("pk").first()
    Scan.objects.create(
        event=event,
        user=users["door"],
        result=Scan.Result.ADMITTED,
        ticket=other_ticket,
        nonce="n1",
    )
    door_devices.device_create(name="Main entrance, scanner 1", user=users["door"])
    speaker = Speaker.objects.create(event=event, name="Ada Speaker", slug="ada")
    start = event.starts_at
    session = Session.objects.create(
        event=event,
        title="Opening",
        starts_at=start,
        ends_at=start + timedelta(hours=1),
    )
    session.speakers.add(speaker)
    tier = SponsorTier.objects.create(name="Gold", rank=1)
    Sponsor.objects.create(event=event, tier=tier, name="Curium Solutions")
    broadcast = Broadcast.objects.create(
        event=event, subject="Hello", body="See you soon", created_by=users["organiser"]
    )
    Email.objects.get_or_create(
        key="authz-broadcast",
        defaults={
            "kind": Email.Kind.BROADCAST,
            "to_email": "ada0@example.gov.uk",
            "broadcast": broadcast,
        },
    )
    Refund.objects.create(
        order=order,
        amount_pence=100,
        method=Refund.Method.MANUAL,
        reason="Test",
        status=Refund.Status.SUCCEEDED,
    )
    StripeEvent.objects.create(event_id="evt_authz", type="checkout.session.completed")
    BadgeSheet.objects.create(
        event=event,
        status=BadgeSheet.Status.DONE,
        total=1,
        done=1,
        pdf=b"%PDF-1.4 test",
        created_by=users["organiser"],
        finished_at=timezone.now(),
    )
    Code.objects.create(event=event, code="AUTHZ-CODE", max_uses=5)
    seen = {"user_agent": "test", "ip_address": "192.0.2.1", "username": "someone"}
    AccessAttempt.objects.create(
        **seen, get_data="", post_data="", failures_since_start=1, path_info="/"
    )
    AccessLog.objects.create(**seen, path_info="/admin/login/")
    AccessFailureLog.objects.create(**seen, path_info="/admin/login/")
    TOTPDevice.objects.create(user=users["superuser"], name="phone", confirmed=False)
    entry = WaitlistEntry.objects.create(
        event=event,
        name="Ada Lovelace",
        email="ada0@example.gov.uk",
        organisation="OPG",
    )
    offer = WaitlistOffer.objects.create(
        entry=entry, event=event, expires_at=timezone.now() + timedelta(days=1)
    )
    path = media_root / MEDIA_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("a public upload")
    return World(event=event, order=order, other=other, offer=offer, users=users)
