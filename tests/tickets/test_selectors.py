"""Availability is counted from the tickets themselves."""

from tests.conftest import book, hold, make_ticket_type
from tickets.models import Ticket
from tickets.selectors import event_availability


def test_availability_counts_confirmed_and_held_places(event, free_type):
    book(event, free_type, count=3)
    held_order = book(event, free_type, count=2)
    hold(held_order)
    cancelled = book(event, free_type, count=1)
    cancelled.tickets.update(status=Ticket.Status.CANCELLED)

    availability = event_availability(event=event)

    assert availability.confirmed == 3
    assert availability.held == 2
    assert availability.remaining == 245


def test_few_left_and_sold_out_thresholds(event, free_type):
    event.capacity = 25
    event.few_places_threshold = 20
    event.save()
    assert not event_availability(event=event).few_left
    book(event, free_type, count=5)
    availability = event_availability(event=event)
    assert availability.few_left and availability.remaining == 20
    book(event, free_type, count=10)
    book(event, free_type, count=10)
    availability = event_availability(event=event)
    assert availability.sold_out and not availability.few_left


def test_ticket_type_remaining_is_the_smaller_of_its_cap_and_the_pool(event):
    students = make_ticket_type(event, name="Student", quota=30)
    public = make_ticket_type(event, name="Public", position=1)
    event.capacity = 40
    event.save()
    book(event, public, count=10)
    book(event, public, count=10)
    book(event, students, count=5)

    remaining = {
        item.ticket_type.name: item.remaining
        for item in event_availability(event=event).ticket_types
    }
    assert remaining == {"Student": 15, "Public": 15}


def test_hidden_ticket_types_are_left_out(event, free_type):
    make_ticket_type(event, name="Speakers", is_visible=False)
    names = [i.ticket_type.name for i in event_availability(event=event).ticket_types]
    assert names == ["Public sector"]


def test_places_of_hidden_types_still_come_out_of_the_pool(event, free_type):
    speakers = make_ticket_type(event, name="Speakers")
    book(event, speakers, count=3)
    speakers.is_visible = False
    speakers.save()
    availability = event_availability(event=event)
    assert availability.confirmed == 3
    assert [i.remaining for i in availability.ticket_types] == [247]
