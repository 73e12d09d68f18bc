"""What each e-mail says and carries, and who gets it. Celery runs in-process
here and mail goes to Django's in-memory outbox; the real worker, broker and
SMTP server are in test_email_delivery."""

import io
from email.mime.image import MIMEImage

import pytest
import zxingcpp
from django.core import mail
from django.utils import timezone
from icalendar import Calendar
from PIL import Image
from pypdf import PdfReader

from tests.conftest import attendee, billing, book, paid_by_card
from tickets.models import Email, Order, RevokedSecret, Ticket
from tickets.services import Actor, order_cancel, ticket_attendee_change

SITE = "https://tickets.example.org"


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.PSDM_SITE_URL = SITE


def sent_to(address: str) -> list:
    return [m for m in mail.outbox if any(address in to for to in m.to)]


def attachments(message, mimetype: str) -> list:
    return [
        a
        for a in message.attachments
        if not isinstance(a, MIMEImage) and a.mimetype.startswith(mimetype)
    ]


def inline_images(message) -> dict[str, bytes]:
    return {
        image["Content-ID"]: image.get_payload(decode=True)
        for image in message.attachments
        if isinstance(image, MIMEImage)
    }


def html_of(message) -> str:
    ((html, mimetype),) = message.alternatives
    assert mimetype == "text/html"
    return html


def qr_text(png: bytes) -> str:
    (barcode,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    return barcode.text


def test_a_free_booking_sends_the_buyer_a_confirmation_and_each_attendee_their_place(
    event, free_type, send
):
    order = send(book, event, free_type, 2)
    tickets = list(order.tickets.order_by("pk"))

    assert sorted(m.to[0] for m in mail.outbox) == [
        "Ada0 Lovelace <ada0@example.gov.uk>",
        "Ada1 Lovelace <ada1@example.gov.uk>",
        "Grace Hopper <grace@example.gov.uk>",
    ]
    (confirmation,) = sent_to("grace@example.gov.uk")
    assert (
        confirmation.subject
        == f"Booking confirmed: Test conference ({order.reference})"
    )
    manage_url = SITE + order.get_absolute_url()
    assert manage_url in confirmation.body
    assert manage_url in html_of(confirmation)
    assert (
        "https://www.google.com/maps/search/?api=1&query=Test+venue%2C+1+High+Street%2C+Birmingham"
        in confirmation.body
    )
    for ticket in tickets:
        assert ticket.full_name in confirmation.body
        assert f'src="cid:qr-{ticket.pk}"' in html_of(confirmation)
    row = Email.objects.get(kind=Email.Kind.CONFIRMATION, order=order)
    assert confirmation.extra_headers["Message-ID"] == row.message_id
    assert row.status == Email.Status.SENT and row.sent_at is not None
    assert row.subject == confirmation.subject


def test_the_confirmation_carries_every_badge_its_qr_codes_and_a_calendar_invite(
    event, free_type, send
):
    order = send(book, event, free_type, 2)
    tickets = list(order.tickets.order_by("pk"))
    (confirmation,) = sent_to("grace@example.gov.uk")

    badges = attachments(confirmation, "application/pdf")
    assert sorted(b.filename for b in badges) == [
        "badge-ada0-lovelace.pdf",
        "badge-ada1-lovelace.pdf",
    ]
    for badge in badges:
        assert len(PdfReader(io.BytesIO(badge.content)).pages) == 1

    images = inline_images(confirmation)
    assert set(images) == {f"<qr-{t.pk}>" for t in tickets}
    for ticket in tickets:
        assert qr_text(images[f"<qr-{ticket.pk}>"]) == ticket.secret

    (invite,) = attachments(confirmation, "text/calendar")
    assert invite.filename == "invite.ics"
    calendar = Calendar.from_ical(invite.content)
    (entry,) = calendar.walk("VEVENT")
    assert entry.decoded("dtstart") == event.starts_at.replace(microsecond=0)
    assert entry.decoded("dtend") == event.ends_at.replace(microsecond=0)
    assert str(entry["summary"]) == "Test conference"
    assert str(entry["location"]) == "Test venue, 1 High Street, Birmingham"
    assert str(entry["uid"]) == f"event-{event.pk}@psdm.localhost"
    assert str(calendar["method"]) == "PUBLISH"


def test_an_attendee_gets_only_their_own_badge_and_no_manage_link(
    event, free_type, send
):
    order = send(book, event, free_type, 2)
    first = order.tickets.order_by("pk").first()
    (message,) = sent_to("ada0@example.gov.uk")

    assert message.subject == "Your place at Test conference"
    assert order.get_absolute_url() not in message.body
    assert "Grace Hopper (grace@example.gov.uk) made this booking" in message.body
    (badge,) = attachments(message, "application/pdf")
    assert badge.filename == "badge-ada0-lovelace.pdf"
    assert set(inline_images(message)) == {f"<qr-{first.pk}>"}
    assert len(attachments(message, "text/calendar")) == 1


def test_an_attendee_who_is_the_buyer_gets_one_e_mail(event, free_type, send):
    send(book, event, free_type, 1, buyer_email="ADA0@example.gov.uk")
    assert len(mail.outbox) == 1


def test_names_with_quotes_and_accents_survive_in_both_bodies(event, free_type, send):
    send(book, event, free_type, 1, buyer_name="Seán O'Brien-Ñúñez")
    (message,) = sent_to("grace@example.gov.uk")
    assert "Seán O'Brien-Ñúñez" in message.body
    assert "Seán O&#x27;Brien-Ñúñez" in html_of(message)
    assert message.message()["To"]  # encodes without error


def test_an_invoice_booking_sends_the_invoice_to_the_billing_contact(
    event, paid_type, send
):
    event.invoice_payment_enabled = True
    event.save()
    order = send(book, event, paid_type, 1, payment_method="invoice", billing=billing())
    number = order.invoice.number

    (invoice,) = sent_to("invoices@birmingham.gov.uk")
    assert invoice.subject == f"Invoice {number}: Test conference"
    (pdf,) = attachments(invoice, "application/pdf")
    assert pdf.filename == f"{number}.pdf"
    assert number in PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert "PO-12345" in invoice.body
    (confirmation,) = sent_to("grace@example.gov.uk")
    assert (
        f"Invoice {number} for £95 has been sent to invoices@birmingham.gov.uk"
        in confirmation.body
    )


def test_a_card_order_is_confirmed_by_e_mail_only_once_paid(
    event, paid_type, fake_stripe, send
):
    order = send(book, event, paid_type, 1, payment_method="card")
    assert mail.outbox == []
    assert not Email.objects.filter(order=order).exists()

    order = send(paid_by_card, event, paid_type, fake_stripe)
    (confirmation,) = sent_to("grace@example.gov.uk")
    assert "You have paid £95 by card." in confirmation.body


def test_cancelling_tells_buyer_and_attendees_and_revokes_the_badges(
    event, free_type, send
):
    order = send(book, event, free_type, 2)
    tickets = list(order.tickets.order_by("pk"))
    old_codes = [t.secret for t in tickets]
    mail.outbox.clear()

    send(order_cancel, order_id=order.pk, actor=Actor.buyer())

    (buyer,) = sent_to("grace@example.gov.uk")
    assert buyer.subject == f"Booking cancelled: Test conference ({order.reference})"
    assert "Ada0 Lovelace" in buyer.body and "Ada1 Lovelace" in buyer.body
    assert "refund" not in buyer.body.lower()
    (attendee_mail,) = sent_to("ada1@example.gov.uk")
    assert attendee_mail.subject == "Your place at Test conference has been cancelled"
    assert "Your badge no longer works" in attendee_mail.body
    for ticket, old in zip(tickets, old_codes, strict=True):
        ticket.refresh_from_db()
        assert ticket.secret != old
        revoked = RevokedSecret.objects.get(secret=old)
        assert (revoked.ticket, revoked.reason) == (ticket, "cancelled")


def test_cancelling_a_paid_place_promises_then_confirms_the_refund(
    event, paid_type, fake_stripe, send
):
    order = send(paid_by_card, event, paid_type, fake_stripe, count=2)
    ticket = order.tickets.first()
    mail.outbox.clear()

    send(order_cancel, order_id=order.pk, actor=Actor.buyer(), ticket_ids=[ticket.pk])

    subjects = sorted(m.subject for m in sent_to("grace@example.gov.uk"))
    assert subjects == [
        f"Places cancelled: Test conference ({order.reference})",
        f"Refund of £95: Test conference ({order.reference})",
    ]
    cancelled = next(m for m in mail.outbox if m.subject.startswith("Places"))
    assert "We are refunding £95 to the card you paid with" in cancelled.body
    refund = next(m for m in mail.outbox if m.subject.startswith("Refund"))
    assert "We have refunded £95 to the card you paid with" in refund.body
    assert "Reason: Places cancelled" in refund.body


def test_passing_a_place_on_tells_both_people_and_replaces_the_badge(
    event, free_type, send
):
    order = send(book, event, free_type, 1)
    ticket = order.tickets.get()
    old_code = ticket.secret
    mail.outbox.clear()

    send(
        ticket_attendee_change,
        order_id=order.pk,
        ticket_id=ticket.pk,
        details=attendee(
            7, first_name="Katherine", last_name="Johnson", email="kj@example.gov.uk"
        ),
        actor=Actor.buyer(),
        transfer=True,
    )

    ticket.refresh_from_db()
    assert ticket.secret != old_code
    assert RevokedSecret.objects.get(secret=old_code).reason == "transferred"
    (new,) = sent_to("kj@example.gov.uk")
    assert new.subject == "A place at Test conference has been passed to you"
    assert (
        "Ada0 Lovelace's place at Test conference has been passed to you." in new.body
    )
    (image,) = inline_images(new).values()
    assert qr_text(image) == ticket.secret
    (badge,) = attachments(new, "application/pdf")
    assert badge.filename == "badge-katherine-johnson.pdf"
    (old,) = sent_to("ada0@example.gov.uk")
    assert "has been passed to Katherine Johnson" in old.body
    assert attachments(old, "application/pdf") == []


def test_correcting_details_sends_nothing_and_keeps_the_badge(event, free_type, send):
    order = send(book, event, free_type, 1)
    ticket = order.tickets.get()
    mail.outbox.clear()
    send(
        ticket_attendee_change,
        order_id=order.pk,
        ticket_id=ticket.pk,
        details=attendee(0, organisation="HM Land Registry"),
        actor=Actor.buyer(),
    )
    assert mail.outbox == []
    assert Ticket.objects.get(pk=ticket.pk).secret == ticket.secret


def test_an_expired_card_hold_sends_nothing(event, paid_type, fake_stripe, send):
    from tests.conftest import hold
    from tickets.services import holds_expire

    order = hold(send(book, event, paid_type, 1, payment_method="card"), minutes=-1)
    send(holds_expire)
    assert Order.objects.get(pk=order.pk).status == Order.Status.EXPIRED
    assert mail.outbox == []


def test_every_message_has_its_own_stable_message_id(event, free_type, send):
    send(book, event, free_type, 2)
    ids = [m.extra_headers["Message-ID"] for m in mail.outbox]
    assert len(set(ids)) == 3
    assert all(i.startswith("<") and i.endswith("@psdm.localhost>") for i in ids)
    assert sorted(ids) == sorted(e.message_id for e in Email.objects.all())
    assert all(e.sent_at <= timezone.now() for e in Email.objects.all())


def test_the_organiser_sends_a_confirmation_again_from_admin(
    admin_client, event, free_type, send
):
    from django.urls import reverse

    order = send(book, event, free_type, 1, buyer_email="ada0@example.gov.uk")
    cancelled = send(book, event, free_type, 1)
    send(order_cancel, order_id=cancelled.pk, actor=Actor.buyer())
    mail.outbox.clear()

    with_callbacks = send(
        admin_client.post,
        reverse("admin:tickets_order_changelist"),
        {
            "action": "resend_confirmations",
            "_selected_action": [order.pk, cancelled.pk],
        },
        follow=True,
    )
    page = with_callbacks.content.decode()
    assert (
        f"The confirmation will be sent again for 1 booking: {order.reference}" in page
    )
    assert f"Skipped bookings that are not confirmed: {cancelled.reference}" in page
    (again,) = mail.outbox
    assert again.subject == f"Booking confirmed: Test conference ({order.reference})"
    assert order.changes.filter(action="confirmation_resent").count() == 1
    assert Email.objects.filter(order=order, kind="confirmation").count() == 2
