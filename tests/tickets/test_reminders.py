"""Reminders before the event, and the organiser's message to everyone."""

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from tests.conftest import book, make_event, make_ticket_type
from tickets.models import Broadcast, Email, Ticket
from tickets.services import Actor, order_cancel
from tickets.services.reminders import broadcast_send, reminders_queue


def booked_days_ago(order, days: float) -> None:
    Ticket.objects.filter(order=order).update(
        created_at=timezone.now() - timedelta(days=days)
    )


def test_a_reminder_goes_to_each_attendee_once_when_it_is_due(event, free_type, send):
    event.reminder_days_before = 3
    event.save()
    order = book(event, free_type, 2)
    booked_days_ago(order, 10)
    starts = event.starts_at

    assert reminders_queue(now=starts - timedelta(days=3, minutes=1)) == 0
    mail.outbox.clear()
    assert (
        send(reminders_queue, now=starts - timedelta(days=3) + timedelta(minutes=1))
        == 2
    )
    assert sorted(m.to[0] for m in mail.outbox) == [
        "Ada0 Lovelace <ada0@example.gov.uk>",
        "Ada1 Lovelace <ada1@example.gov.uk>",
    ]
    (message,) = [m for m in mail.outbox if "ada1@" in m.to[0]]
    assert message.subject == "Reminder: Test conference is coming up"
    files = [a.filename for a in message.attachments if hasattr(a, "filename")]
    assert files == ["badge-ada1-lovelace.pdf", "invite.ics"]
    assert send(reminders_queue, now=starts - timedelta(days=1)) == 0  # once only
    assert Email.objects.filter(kind="reminder").count() == 2


def test_no_reminder_for_late_bookings_cancelled_places_past_events_or_when_off(
    event, free_type, send
):
    event.reminder_days_before = 2
    event.save()
    early, late, cancelled = (book(event, free_type, 1) for _ in range(3))
    booked_days_ago(early, 5)
    Ticket.objects.filter(order=late).update(
        created_at=event.starts_at - timedelta(days=1, hours=12)
    )
    booked_days_ago(cancelled, 5)
    order_cancel(order_id=cancelled.pk, actor=Actor.buyer())
    other = make_event(slug="off", reminder_days_before=0)
    booked_days_ago(book(other, make_ticket_type(other), 1), 5)
    past = make_event(
        slug="past",
        starts_at=timezone.now() - timedelta(days=1),
        ends_at=timezone.now() - timedelta(hours=16),
    )
    Ticket.objects.filter(order__event=past).delete()

    queued = reminders_queue(now=event.starts_at - timedelta(days=1))
    assert queued == 1
    (reminder,) = Email.objects.filter(kind="reminder")
    assert reminder.ticket.order == early
    assert late.tickets.get().emails.filter(kind="reminder").count() == 0


def test_the_reminder_task_runs_the_service(event, free_type, monkeypatch):
    from tickets import tasks

    monkeypatch.setattr(tasks.reminders, "reminders_queue", lambda: 7)
    assert tasks.reminders_send.delay().get() == 7


def test_a_message_to_attendees_reaches_each_address_once(
    event, free_type, send, admin_user
):
    book(event, free_type, 2)  # ada0, ada1
    book(event, free_type, 1)  # ada0 again
    cancelled = book(event, free_type, 1, buyer_email="x@example.gov.uk")
    Ticket.objects.filter(order=cancelled).update(
        email="gone@example.gov.uk", status=Ticket.Status.CANCELLED
    )
    mail.outbox.clear()

    message = send(
        broadcast_send,
        event_id=event.pk,
        subject="Room change",
        body="We have moved to the Great Hall.\nSee https://example.org/map",
        user=admin_user,
    )

    assert message.recipient_count == 2
    assert sorted(m.to[0] for m in mail.outbox) == [
        "Ada0 Lovelace <ada0@example.gov.uk>",
        "Ada1 Lovelace <ada1@example.gov.uk>",
    ]
    sent = mail.outbox[0]
    assert sent.subject == "Room change"
    assert sent.body.startswith(
        "We have moved to the Great Hall.\nSee https://example.org/map"
    )
    (html, _type) = sent.alternatives[0]
    assert '<a href="https://example.org/map"' in html
    assert (
        "Sent by Public Sector Digital Midlands to everyone with a place at "
        "Test conference." in sent.body
    )


def test_the_organiser_sends_a_message_from_admin(
    admin_client, event, free_type, django_capture_on_commit_callbacks
):
    book(event, free_type, 2)
    url = reverse("admin:tickets_broadcast_add")
    assert admin_client.get(url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            url,
            {
                "event": event.pk,
                "subject": "Parking",
                "body": "Use the NCP on Brindley Place.",
            },
            follow=True,
        )
    assert response.status_code == 200
    assert "Your message is being sent to 2 people." in response.content.decode()
    broadcast = Broadcast.objects.get()
    assert (broadcast.subject, broadcast.recipient_count) == ("Parking", 2)
    assert len(mail.outbox) == 2
    page = admin_client.get(
        reverse("admin:tickets_broadcast_change", args=[broadcast.pk])
    )
    assert "2 of 2 sent" in page.content.decode()


def test_a_message_to_an_event_with_nobody_booked_is_refused(admin_client, event):
    response = admin_client.post(
        reverse("admin:tickets_broadcast_add"),
        {"event": event.pk, "subject": "Hello", "body": "Anyone?"},
    )
    assert response.status_code == 200
    assert (
        "Nobody has a confirmed place at this event yet." in response.content.decode()
    )
    assert not Broadcast.objects.exists()


@pytest.mark.parametrize(
    "field,value", [("subject", ""), ("body", ""), ("subject", "x" * 151)]
)
def test_a_message_with_a_missing_or_overlong_part_is_refused(
    admin_client, event, free_type, field, value
):
    book(event, free_type, 1)
    data = {"event": event.pk, "subject": "Hello", "body": "Text"}
    data[field] = value
    response = admin_client.post(reverse("admin:tickets_broadcast_add"), data)
    assert response.status_code == 200
    assert (
        not Broadcast.objects.exists()
        and not Email.objects.filter(kind="broadcast").exists()
    )


def test_the_outbox_in_admin_shows_failures_and_sends_them_again(
    admin_client, event, free_type, django_capture_on_commit_callbacks
):
    order = book(event, free_type, 1, buyer_email="ada0@example.gov.uk")
    email = Email.objects.get(order=order)
    Email.objects.filter(pk=email.pk).update(
        status="failed", last_error="SMTPDataError: 554 rejected"
    )
    changelist = reverse("admin:tickets_email_changelist")
    page = admin_client.get(changelist + "?status__exact=failed").content.decode()
    assert "554 rejected" in page and "ada0@example.gov.uk" in page
    assert (
        admin_client.get(
            reverse("admin:tickets_email_change", args=[email.pk])
        ).status_code
        == 200
    )
    order_page = admin_client.get(
        reverse("admin:tickets_order_change", args=[order.pk])
    )
    assert "Booking confirmed (to the buyer)" in order_page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            changelist,
            {"action": "send_again", "_selected_action": [email.pk]},
            follow=True,
        )
    assert "1 e-mail will be sent again." in response.content.decode()
    assert Email.objects.get(pk=email.pk).status == "sent"
    assert len(mail.outbox) == 1


def test_e_mails_cannot_be_edited_or_deleted_in_admin(admin_client, event, free_type):
    order = book(event, free_type, 1)
    email = Email.objects.get(order=order, kind="confirmation")
    url = reverse("admin:tickets_email_change", args=[email.pk])
    admin_client.post(url, {"to_email": "evil@example.org"})
    assert Email.objects.get(pk=email.pk).to_email == "grace@example.gov.uk"
    assert (
        admin_client.get(
            reverse("admin:tickets_email_delete", args=[email.pk])
        ).status_code
        == 403
    )
