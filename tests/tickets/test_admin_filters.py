"""Finding orders and places in admin: search and list filters."""

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.conftest import attendee, make_ticket_type
from tickets.models import Order, Ticket
from tickets.services import Actor, OrderLine, order_cancel, order_create

ORDERS = reverse("admin:tickets_order_changelist")
TICKETS = reverse("admin:tickets_ticket_changelist")


def place_order(event, ticket_type, **person):
    return order_create(
        event_id=event.pk,
        buyer_name="Grace Hopper",
        buyer_email="grace@example.gov.uk",
        lines=[OrderLine(ticket_type_id=ticket_type.pk, attendee=attendee(**person))],
    )


@pytest.fixture
def people(event, free_type):
    """Three bookings of one place each: Ada (checked in, free, central
    government), Brian (unpaid invoice, supplier), Carla (cancelled, NHS)."""
    event.invoice_payment_enabled = True
    event.save(update_fields=["invoice_payment_enabled"])
    student = make_ticket_type(event, name="Student", position=3)
    ada = place_order(
        event, free_type, first_name="Ada", last_name="King", email="ada@opg.gov.uk"
    )
    brian = place_order(
        event,
        student,
        first_name="Brian",
        last_name="Jones",
        email="brian@curium.example",
        organisation="Curium Solutions",
        sector="supplier",
    )
    carla = place_order(
        event,
        free_type,
        first_name="Carla",
        last_name="Diaz",
        email="carla@nhs.example",
        sector="nhs_health",
    )
    order_cancel(order_id=carla.pk, actor=Actor.system())
    Order.objects.filter(pk=brian.pk).update(
        payment_method=Order.PaymentMethod.INVOICE,
        payment_status=Order.PaymentStatus.AWAITING,
    )
    ada.tickets.update(checked_in_at=timezone.now())
    return {"ada": ada, "brian": brian, "carla": carla, "student": student}


def names(client, **params) -> list[str]:
    response = client.get(TICKETS, params)
    assert response.status_code == 200
    return sorted(t.first_name for t in response.context["cl"].result_list)


def references(client, **params) -> list[str]:
    response = client.get(ORDERS, params)
    assert response.status_code == 200
    return sorted(o.reference for o in response.context["cl"].result_list)


def test_places_search_by_name_email_organisation_or_reference(
    organiser_client, people
):
    assert names(organiser_client, q="King") == ["Ada"]
    assert names(organiser_client, q="brian@curium") == ["Brian"]
    assert names(organiser_client, q="Curium") == ["Brian"]
    assert names(organiser_client, q=people["carla"].reference) == ["Carla"]


def test_places_filters(organiser_client, people):
    assert names(organiser_client, status="cancelled") == ["Carla"]
    assert names(organiser_client, ticket_type__id__exact=people["student"].pk) == [
        "Brian"
    ]
    assert names(organiser_client, sector="supplier") == ["Brian"]
    assert names(organiser_client, order__payment_status="awaiting") == ["Brian"]
    assert names(organiser_client, order__payment_status="not_required") == [
        "Ada",
        "Carla",
    ]
    assert names(organiser_client, checked_in="yes") == ["Ada"]
    assert names(organiser_client, checked_in="no") == ["Brian", "Carla"]


def test_orders_search_by_attendee_name_email_organisation_or_reference(
    organiser_client, people
):
    ada, brian = people["ada"].reference, people["brian"].reference
    assert references(organiser_client, q="King") == [ada]
    assert references(organiser_client, q="brian@curium.example") == [brian]
    assert references(organiser_client, q="Curium") == [brian]
    assert references(organiser_client, q=ada) == [ada]


def test_orders_filters(organiser_client, people):
    ada, brian, carla = (people[k].reference for k in ("ada", "brian", "carla"))
    assert references(organiser_client, status="cancelled") == [carla]
    assert references(organiser_client, payment_status="awaiting") == [brian]
    assert references(
        organiser_client, tickets__ticket_type__id__exact=people["student"].pk
    ) == [brian]
    assert references(organiser_client, tickets__sector="nhs_health") == [carla]
    assert references(organiser_client, checked_in="yes") == [ada]
    assert references(organiser_client, checked_in="no") == sorted([brian, carla])


def test_order_place_count_is_right_when_filtered_by_attendee(
    organiser_client, event, free_type, people
):
    """Filtering through the places does not multiply the places column."""
    two = order_create(
        event_id=event.pk,
        buyer_name="Grace Hopper",
        buyer_email="grace@example.gov.uk",
        lines=[
            OrderLine(ticket_type_id=free_type.pk, attendee=attendee(i))
            for i in range(2)
        ],
    )
    response = organiser_client.get(
        ORDERS, {"tickets__ticket_type__id__exact": free_type.pk}
    )
    counts = {o.reference: o._place_count for o in response.context["cl"].result_list}
    assert counts[two.reference] == 2
    assert Ticket.objects.filter(order=two).count() == 2
