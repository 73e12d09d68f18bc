"""The booking pages: happy path, navigation and the confirmation page."""

import re

from django.test import Client
from django.urls import reverse

from tests.conftest import make_ticket_type
from tests.tickets.flow import ATTENDEE, BUYER, buyer_url, choose, fill_up_to_check, url
from tickets.models import Order, Ticket


def test_booking_a_free_place_end_to_end(client, event, free_type):
    """Choose, your details, attendee, check, confirm: one confirmed ticket."""
    response = client.get(event.get_absolute_url())
    assert url("choose", event).encode() in response.content
    assert client.get(url("choose", event)).status_code == 200

    response = fill_up_to_check(client, event, free_type, count=2)
    assert response["Location"] == url("check", event)

    check = client.get(url("check", event))
    assert check.status_code == 200
    assert b"Ada1" in check.content and b"Ada2" in check.content

    response = client.post(url("check", event))
    assert response.status_code == 302
    order = Order.objects.get()
    assert response["Location"] == reverse(
        "tickets:confirmation", args=[order.reference]
    )
    assert order.buyer_email == BUYER["buyer_email"]
    assert sorted(order.tickets.values_list("first_name", flat=True)) == [
        "Ada1",
        "Ada2",
    ]

    confirmation = client.get(response["Location"])
    assert confirmation.status_code == 200
    assert order.reference.encode() in confirmation.content
    assert re.search(rb"PSDM-[2-9A-Z]{5}", confirmation.content)


def test_confirming_twice_books_once(client, event, free_type):
    """A double-clicked Confirm books one order; the second lands on the same
    confirmation page."""
    fill_up_to_check(client, event, free_type)
    first = client.post(url("check", event))
    second = client.post(url("check", event))
    assert first.status_code == 302 and second.status_code == 302
    assert second["Location"] == first["Location"]
    assert Order.objects.count() == 1


def test_someone_elses_confirmation_page_is_not_shown(client, event, free_type):
    fill_up_to_check(client, event, free_type)
    client.post(url("check", event))
    reference = Order.objects.get().reference
    client.cookies.clear()
    assert (
        client.get(reverse("tickets:confirmation", args=[reference])).status_code == 404
    )
    assert (
        client.get(reverse("tickets:confirmation", args=["PSDM-XXXXX"])).status_code
        == 404
    )


def test_steps_out_of_order_go_back_to_the_start(client, event, free_type):
    """Skipping ahead redirects to the first step still to do."""
    assert client.get(url("buyer", event))["Location"] == url("choose", event)
    assert client.get(url("check", event))["Location"] == url("choose", event)
    choose(client, event, {free_type.pk: 2})
    client.post(buyer_url(event), BUYER)
    assert client.get(url("attendee", event, number=2))["Location"] == url(
        "attendee", event, number=1
    )
    assert client.get(url("attendee", event, number=3)).status_code == 404
    assert client.get(url("attendee", event, number=0)).status_code == 404


def test_change_links_return_to_check_your_answers(client, event, free_type):
    fill_up_to_check(client, event, free_type)
    response = client.post(
        url("attendee", event, number=1) + "?change=1",
        {**ATTENDEE, "first_name": "Augusta"},
    )
    assert response["Location"] == url("check", event)
    assert b"Augusta" in client.get(url("check", event)).content


def test_attendee_one_starts_with_the_buyers_email(client, event, free_type):
    choose(client, event, {free_type.pk: 1})
    client.post(buyer_url(event), BUYER)
    page = client.get(url("attendee", event, number=1)).content.decode()
    assert 'value="grace@example.gov.uk"' in page


def test_booking_several_ticket_types(client, event, free_type):
    students = make_ticket_type(event, name="Student", position=1)
    choose(client, event, {free_type.pk: 1, students.pk: 2})
    client.post(buyer_url(event), BUYER)
    for number in (1, 2, 3):
        client.post(url("attendee", event, number=number), ATTENDEE)
    client.post(url("check", event))
    assert Ticket.objects.filter(ticket_type=students).count() == 2
    assert Ticket.objects.filter(ticket_type=free_type).count() == 1


def test_sold_out_event_shows_no_form(client, event, free_type):
    event.capacity = 1
    event.save()
    fill_up_to_check(client, event, free_type)
    client.post(url("check", event))
    page = client.get(url("choose", event)).content.decode()
    assert "Sold out" in page and "qty_" not in page
    assert "Sold out" in client.get(event.get_absolute_url()).content.decode()


def test_paid_types_are_not_bookable_without_a_way_to_pay(
    client, event, free_type, paid_type, settings
):
    """No Stripe key and no invoices: a paid type is shown, plainly unbookable."""
    settings.STRIPE_SECRET_KEY = ""
    page = client.get(url("choose", event)).content.decode()
    assert f"qty_{free_type.pk}" in page
    assert f"qty_{paid_type.pk}" not in page
    assert "£95" in page and "online payment is unavailable" in page


def test_paid_types_are_bookable_when_invoices_are_offered(
    client, event, paid_type, settings
):
    settings.STRIPE_SECRET_KEY = ""
    event.invoice_payment_enabled = True
    event.save()
    page = client.get(url("choose", event)).content.decode()
    assert f"qty_{paid_type.pk}" in page
    assert "Supplier, £95 each" in page


def test_unpublished_events_are_not_found(client, event, free_type):
    event.is_published = False
    event.save()
    for path in (
        event.get_absolute_url(),
        url("choose", event),
        url("availability", event),
    ):
        assert client.get(path).status_code == 404


def test_booking_pages_refuse_other_methods(client, event, free_type):
    assert client.put(url("choose", event)).status_code == 405
    assert client.delete(url("check", event)).status_code == 405
    assert client.post(url("availability", event)).status_code == 405


def test_script_in_names_is_kept_as_text_and_shown_escaped(client, event, free_type):
    """HTML in a name is stored as typed and shown escaped, never run."""
    script = '<script>alert("x")</script>'
    fill_up_to_check(
        client,
        event,
        free_type,
        attendee={"first_name": script, "organisation": "<b>Org</b>"},
    )
    page = client.get(url("check", event)).content.decode()
    assert script not in page and "<b>Org</b>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    response = client.post(url("check", event))
    confirmation = client.get(response["Location"]).content.decode()
    assert script not in confirmation and "&lt;script&gt;" in confirmation
    assert Ticket.objects.get().first_name == script


def test_the_confirmation_opened_elsewhere_says_where_to_find_the_booking(
    client, event, free_type
):
    """A bookmark opened in another browser: not the booking, but where to
    see it; and the same for a reference that does not exist."""
    fill_up_to_check(client, event, free_type)
    location = client.post(url("check", event))["Location"]
    for path in (location, "/bookings/PSDM-ZZZZZ/", "/bookings/nonsense/"):
        response = Client().get(path)
        page = response.content.decode()
        assert response.status_code == 404
        assert "We cannot show this booking here" in page
        assert "link in its confirmation email" in page
        assert "Ada1" not in page and "grace@example.gov.uk" not in page


def test_the_code_form_sends_one_csrf_token(client, event, free_type):
    page = client.get(url("choose", event)).content.decode()
    code_form = page[page.index('id="code"') :]
    code_form = code_form[: code_form.index("</details>")]
    assert code_form.count('name="csrfmiddlewaretoken"') == 1
