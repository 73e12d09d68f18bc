"""Moving a confirmed place to another ticket type of the same event."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.urls import reverse

from tests.conftest import billing, book, hold, make_event, make_ticket_type
from tickets.models import OrderChange, Ticket, TicketType
from tickets.services import Actor, ChangeNotAllowed, order_cancel
from tickets.services.moves import ticket_move


@pytest.fixture
def speaker_type(event):
    return make_ticket_type(event, name="Speaker", price_pence=0, quota=1, position=5)


def counters(*types) -> list[int]:
    return [TicketType.objects.get(pk=t.pk).places_taken for t in types]


def test_a_place_moves_and_the_counters_follow(event, paid_type, speaker_type):
    """The pool is unchanged; the old type gets its place back; the price
    paid stays, and the history says what happened with both prices."""
    event.invoice_payment_enabled = True
    event.save(update_fields=["invoice_payment_enabled"])
    order = book(event, paid_type, count=2, payment_method="invoice", billing=billing())
    ticket = order.tickets.first()
    event.refresh_from_db()
    pool_before = event.places_taken
    assert counters(paid_type, speaker_type) == [2, 0]

    moved = ticket_move(
        ticket_id=ticket.pk, ticket_type_id=speaker_type.pk, actor=Actor.system()
    )

    assert moved.ticket_type_id == speaker_type.pk
    assert Ticket.objects.get(pk=ticket.pk).ticket_type_id == speaker_type.pk
    assert Ticket.objects.get(pk=ticket.pk).price_pence == 9500
    assert counters(paid_type, speaker_type) == [1, 1]
    event.refresh_from_db()
    assert event.places_taken == pool_before
    change = OrderChange.objects.filter(order=order).latest("pk")
    assert change.action == "ticket_type_changed" and change.ticket_id == ticket.pk
    assert change.message == (
        "Moved Ada0 Lovelace from Supplier (£95.00) to Speaker (£0.00). The "
        "place keeps its price of £95.00: nothing was charged or refunded."
    )


def refused(ticket, ticket_type) -> str:
    changes = OrderChange.objects.count()
    taken = list(TicketType.objects.order_by("pk").values_list("places_taken"))
    with pytest.raises(ChangeNotAllowed) as exc:
        ticket_move(
            ticket_id=ticket.pk, ticket_type_id=ticket_type.pk, actor=Actor.system()
        )
    ticket.refresh_from_db()
    assert OrderChange.objects.count() == changes
    assert list(TicketType.objects.order_by("pk").values_list("places_taken")) == (
        taken
    )
    return exc.value.message


def test_a_full_type_is_refused(event, free_type, speaker_type):
    book(event, speaker_type)
    ticket = book(event, free_type).tickets.get()
    assert refused(ticket, speaker_type) == ("Speaker is full: all 1 places are taken.")
    assert ticket.ticket_type_id == free_type.pk


def test_an_expired_hold_frees_the_type_for_a_move(event, free_type, speaker_type):
    hold(book(event, speaker_type), minutes=-1)
    ticket = book(event, free_type).tickets.get()
    ticket_move(
        ticket_id=ticket.pk, ticket_type_id=speaker_type.pk, actor=Actor.system()
    )
    assert counters(free_type, speaker_type) == [0, 1]


def test_a_type_of_another_event_is_refused(event, free_type):
    other = make_event(slug="other", name="Other event")
    theirs = make_ticket_type(other, name="Public sector")
    ticket = book(event, free_type).tickets.get()
    assert "its own event" in refused(ticket, theirs)
    assert ticket.ticket_type_id == free_type.pk


def test_the_same_type_is_refused(event, free_type):
    ticket = book(event, free_type).tickets.get()
    assert refused(ticket, free_type) == (
        "Ada0 Lovelace already has a Public sector place."
    )


def test_a_cancelled_place_is_refused(event, free_type, paid_type):
    order = book(event, free_type, count=2)
    ticket = order.tickets.first()
    order_cancel(order_id=order.pk, actor=Actor.system(), ticket_ids=[ticket.pk])
    assert "confirmed place" in refused(ticket, paid_type)
    assert ticket.ticket_type_id == free_type.pk


def test_a_held_place_is_refused(event, free_type, paid_type):
    ticket = hold(book(event, free_type)).tickets.get()
    assert "confirmed place" in refused(ticket, paid_type)


# -- the admin action -------------------------------------------------------------

TICKETS = reverse("admin:tickets_ticket_changelist")


def messages_of(response) -> str:
    return " ".join(str(m) for m in get_messages(response.wsgi_request))


def test_admin_action_moves_the_selected_places(
    organiser_client, event, free_type, paid_type, speaker_type
):
    """The confirmation page lists the event's types only, says money is not
    moved, and the chosen type takes the places it has room for."""
    other = make_event(slug="other", name="Other event")
    make_ticket_type(other, name="Elsewhere")
    first, second = book(event, free_type, count=2).tickets.order_by("pk")
    data = {"action": "move_places", ACTION_CHECKBOX_NAME: [first.pk, second.pk]}

    page = organiser_client.post(TICKETS, {**data, "index": "0"})
    assert page.status_code == 200
    content = page.content.decode()
    assert "Speaker: £0.00, 1 of 1 place left" in content
    assert "Supplier: £95.00, shares the event&#x27;s places" in content
    assert "Elsewhere" not in content
    assert "Nothing is charged or refunded" in content
    assert first.full_name in content and second.full_name in content

    done = organiser_client.post(
        TICKETS, {**data, "post": "yes", "ticket_type": speaker_type.pk}, follow=True
    )
    text = messages_of(done)
    assert "Moved 1 place to Speaker: Ada0 Lovelace." in text
    assert "1 place was not moved: Ada1 Lovelace: Speaker is full" in text
    assert Ticket.objects.get(pk=first.pk).ticket_type_id == speaker_type.pk
    assert Ticket.objects.get(pk=second.pk).ticket_type_id == free_type.pk
    change = OrderChange.objects.filter(action="ticket_type_changed").get()
    assert change.actor == "organiser"


def test_admin_action_asks_again_without_a_type(organiser_client, event, free_type):
    ticket = book(event, free_type).tickets.get()
    page = organiser_client.post(
        TICKETS,
        {"action": "move_places", ACTION_CHECKBOX_NAME: [ticket.pk], "post": "yes"},
    )
    assert page.status_code == 200
    assert "Choose a ticket type." in page.content.decode()


def test_admin_action_needs_permission_to_change_orders(
    client, django_user_model, event, free_type, paid_type
):
    staff = django_user_model.objects.create_user("clerk", password="pw", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_ticket"))
    client.force_login(staff)
    ticket = book(event, free_type).tickets.get()
    client.post(
        TICKETS,
        {
            "action": "move_places",
            ACTION_CHECKBOX_NAME: [ticket.pk],
            "post": "yes",
            "ticket_type": paid_type.pk,
        },
    )
    assert b"move_places" not in client.get(TICKETS).content
    assert OrderChange.objects.filter(action="ticket_type_changed").count() == 0
