"""The two optional consents start unticked, are recorded with the moment
and the wording's version, and can be changed from manage-my-booking."""

import pytest
from django.utils import timezone

from tests.conftest import attendee, book
from tickets.consents import ATTENDEE_LIST, FUTURE_EVENTS
from tickets.forms import AttendeeForm
from tickets.models import OrderChange, Reservation, Ticket
from tickets.services import Actor, OrderLine, order_create, ticket_attendee_change

pytestmark = pytest.mark.django_db


def test_both_boxes_start_unticked_and_are_optional():
    form = AttendeeForm()
    html = form.as_p()
    assert str(ATTENDEE_LIST.wording) in html
    assert str(FUTURE_EVENTS.wording) in html
    assert "checked" not in html
    for name in ("attendee_list_consent", "future_events_consent"):
        assert form.fields[name].required is False


def test_a_booking_without_ticks_records_no_consent(event, free_type):
    order = book(event, free_type)
    ticket = order.tickets.get()
    assert ticket.attendee_list_consent_at is None
    assert ticket.future_events_consent_at is None
    assert ticket.attendee_list_consent_version == ""


def test_a_tick_is_recorded_with_the_time_and_the_wording_version(event, free_type):
    before = timezone.now()
    order = order_create(
        event_id=event.pk,
        buyer_name="Grace Hopper",
        buyer_email="grace@example.gov.uk",
        lines=[
            OrderLine(
                ticket_type_id=free_type.pk,
                attendee=attendee(1, future_events_consent=FUTURE_EVENTS.version),
            )
        ],
    )
    ticket = order.tickets.get()
    assert ticket.attendee_list_consent_at is None
    assert before <= ticket.future_events_consent_at <= timezone.now()
    assert ticket.future_events_consent_version == FUTURE_EVENTS.version


def test_an_unknown_wording_version_counts_as_no(event, free_type):
    order = order_create(
        event_id=event.pk,
        buyer_name="Grace Hopper",
        buyer_email="grace@example.gov.uk",
        lines=[
            OrderLine(
                ticket_type_id=free_type.pk,
                attendee=attendee(1, attendee_list_consent="yes please"),
            )
        ],
    )
    assert order.tickets.get().attendee_list_consent_at is None


def test_the_booking_step_keeps_the_ticks_in_the_draft(client, event, free_type):
    url = f"/events/{event.slug}/book/"
    client.post(url, {f"qty_{free_type.pk}": "1"})
    client.post(
        url + "your-details/?for=someone-else",
        {"buyer_name": "Grace Hopper", "buyer_email": "g@example.org"},
    )
    response = client.post(
        url + "attendee/1/",
        {
            "first_name": "Ada",
            "last_name": "Lovelace",
            "email": "ada@example.org",
            "organisation": "OPG",
            "sector": "central_government",
            "attendee_list_consent": "on",
        },
    )
    assert response.status_code == 302
    draft = Reservation.objects.get().answers["attendees"][0]
    assert draft["attendee_list_consent"] == ATTENDEE_LIST.version
    assert draft["future_events_consent"] == ""


def test_changing_consents_from_the_booking(client, event, free_type):
    order = book(event, free_type)
    ticket = order.tickets.get()
    url = f"{order.get_absolute_url()}tickets/{ticket.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    fields = {
        "first_name": ticket.first_name,
        "last_name": ticket.last_name,
        "email": ticket.email,
        "organisation": ticket.organisation,
        "sector": ticket.sector,
        "future_events_consent": "on",
    }
    assert client.post(url, fields).status_code == 302
    ticket.refresh_from_db()
    given = ticket.future_events_consent_at
    assert given is not None
    assert OrderChange.objects.filter(
        action="details_changed", message__contains="choices"
    ).exists()
    # Saving again with the box still ticked keeps the first moment.
    client.post(url, fields)
    ticket.refresh_from_db()
    assert ticket.future_events_consent_at == given
    # Unticking withdraws it.
    del fields["future_events_consent"]
    client.post(url, fields)
    ticket.refresh_from_db()
    assert ticket.future_events_consent_at is None
    assert ticket.future_events_consent_version == ""


def test_an_organiser_edit_leaves_consents_alone(event, free_type):
    order = book(event, free_type)
    ticket = order.tickets.get()
    Ticket.objects.filter(pk=ticket.pk).update(
        attendee_list_consent_at=timezone.now(),
        attendee_list_consent_version=ATTENDEE_LIST.version,
    )
    ticket_attendee_change(
        order_id=order.pk,
        ticket_id=ticket.pk,
        details=attendee(0, organisation="GDS"),
        actor=Actor("An organiser"),
        by_organiser=True,
    )
    ticket.refresh_from_db()
    assert ticket.organisation == "GDS"
    assert ticket.attendee_list_consent_at is not None


def test_passing_a_place_on_drops_the_old_attendees_consents(event, free_type):
    order = book(event, free_type)
    ticket = order.tickets.get()
    Ticket.objects.filter(pk=ticket.pk).update(
        future_events_consent_at=timezone.now(),
        future_events_consent_version=FUTURE_EVENTS.version,
    )
    ticket_attendee_change(
        order_id=order.pk,
        ticket_id=ticket.pk,
        details=attendee(5, first_name="Jane"),
        actor=Actor.buyer(),
        transfer=True,
    )
    ticket.refresh_from_db()
    assert ticket.future_events_consent_at is None


def test_the_future_events_list_has_only_those_who_agreed(
    admin_client, event, free_type
):
    order = book(event, free_type, count=2)
    agreed, other = order.tickets.order_by("pk")
    Ticket.objects.filter(pk=agreed.pk).update(
        future_events_consent_at=timezone.now(),
        future_events_consent_version=FUTURE_EVENTS.version,
    )
    response = admin_client.get(
        "/admin/tickets/ticket/exports/", {"event": event.pk, "list": "future-events"}
    )
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    assert agreed.email in text
    assert FUTURE_EVENTS.version in text
    assert other.email not in text
