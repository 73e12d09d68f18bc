"""Codes in the booking pages: "Have a code?", hidden ticket types,
discounted prices, check your answers and a code that stops working."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import make_ticket_type
from tests.tickets.flow import ATTENDEE, BUYER, choose, fill_up_to_check, url
from tests.tickets.test_codes import make_code
from tests.tickets.test_junk_input import junk_text
from tickets.models import BadgeRole, Code, Order, Reservation


@pytest.fixture
def sponsor_type(event):
    return make_ticket_type(
        event,
        name="Sponsor",
        is_visible=False,
        badge_role=BadgeRole.SPONSOR,
        position=9,
    )


def use_code(client, event, text):
    return client.post(url("code", event), {"code": text})


def test_the_code_url_is_named_and_takes_post_only(client, event):
    assert url("code", event) == f"/events/{event.slug}/book/code/"
    assert client.get(url("code", event)).status_code == 405


def test_have_a_code_is_on_the_choose_page(client, event, free_type):
    page = client.get(url("choose", event)).content.decode()
    assert "Have a code?" in page
    assert f'action="{url("code", event)}"' in page


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Enter a code"),
        ("NOPE", "We do not recognise that code"),
        ("x" * 65, "We do not recognise that code"),
    ],
)
def test_a_bad_code_is_explained_and_kept_out(client, event, free_type, text, message):
    make_code(event)
    response = use_code(client, event, text)
    assert response.status_code == 200
    page = response.content.decode()
    assert "govuk-error-summary" in page and message in page
    assert page.count("<title>Error:") == 1
    assert f"booking:{event.pk}" not in client.session or not (
        client.session[f"booking:{event.pk}"].get("code")
    )


def test_an_expired_code_is_explained(client, event, free_type):
    make_code(event, valid_until=timezone.now() - timedelta(hours=1))
    page = use_code(client, event, "save10").content.decode()
    assert "That code expired on" in page


@pytest.fixture
def invoicing(event):
    event.invoice_payment_enabled = True
    event.save()
    return event


def test_a_code_shows_discounted_prices(client, invoicing, event, paid_type):
    make_code(event, discount_percent=50)
    response = use_code(client, event, "save10")
    assert response.status_code == 302
    assert response["Location"] == url("choose", event)
    page = client.get(url("choose", event)).content.decode()
    assert "Supplier, £47.50 each with your code (usually £95)" in page
    assert "SAVE10" in page and "50% off" in page


def test_a_hidden_type_shows_only_with_its_code(client, event, free_type, sponsor_type):
    assert "Sponsor" not in client.get(url("choose", event)).content.decode()
    # Booking it by posting its field anyway is refused.
    response = choose(client, event, {sponsor_type.pk: 1})
    assert response.status_code == 200
    assert "no longer available" in response.content.decode()

    make_code(event, "CURIUM", discount_percent=100, ticket_types=[sponsor_type])
    use_code(client, event, "curium")
    page = client.get(url("choose", event)).content.decode()
    assert f'name="qty_{sponsor_type.pk}"' in page
    assert "Sponsor, free with your code" not in page  # the type is free anyway


def test_sponsor_places_booked_with_a_code_end_to_end(client, event, sponsor_type):
    """A hidden, paid Sponsor place, 100% off: no payment step, booked free,
    the code recorded on the ticket and its use taken."""
    sponsor_type.price_pence = 9500
    sponsor_type.save()
    code = make_code(
        event, "CURIUM", discount_percent=100, max_uses=2, ticket_types=[sponsor_type]
    )
    use_code(client, event, "curium")
    response = fill_up_to_check(client, event, sponsor_type, count=2)
    assert response["Location"] == url("check", event)  # no payment step
    check = client.get(url("check", event)).content.decode()
    assert 'id="order-code">CURIUM: £190 off' in check
    assert "usually £95" in check
    response = client.post(url("check", event))
    assert response.status_code == 302
    order = Order.objects.get()
    assert (order.total_pence, order.payment_method) == (0, "free")
    assert set(order.tickets.values_list("code", "price_pence", "discount_pence")) == {
        (code.pk, 0, 9500)
    }
    code.refresh_from_db()
    assert code.uses == 2
    confirmation = client.get(response["Location"]).content.decode()
    assert "£95 off with your code" in confirmation


def test_a_code_for_other_types_is_refused_at_choose(
    client, event, free_type, paid_type
):
    make_code(event, ticket_types=[paid_type])
    use_code(client, event, "save10")
    response = choose(client, event, {free_type.pk: 1})
    assert response.status_code == 200
    assert "cannot be used for the places you chose" in response.content.decode()


def test_more_places_than_uses_left_is_refused_at_choose(client, event, free_type):
    make_code(event, max_uses=2)
    use_code(client, event, "save10")
    response = choose(client, event, {free_type.pk: 3})
    assert "can be used for 2 more places, but you chose 3" in response.content.decode()


def test_a_code_switched_off_after_reserving_is_honoured_for_that_booking(
    client, event, paid_type
):
    """Its use was taken with the places: the price promised stands until the
    reservation ends, but nobody else can start a booking with it."""
    code = make_code(event, discount_percent=100)
    use_code(client, event, "save10")
    fill_up_to_check(client, event, paid_type)
    Code.objects.filter(pk=code.pk).update(is_active=False)
    other = Client()
    assert (
        "We do not recognise that code"
        in use_code(other, event, "save10").content.decode()
    )
    response = client.post(url("check", event))
    assert response.status_code == 302
    order = Order.objects.get()
    assert order.total_pence == 0 and order.tickets.get().code_id == code.pk
    code.refresh_from_db()
    assert code.uses == 1


def test_a_code_with_one_use_left_goes_to_whoever_reserves_first(
    client, event, free_type
):
    code = make_code(event, max_uses=1)
    use_code(client, event, "save10")
    fill_up_to_check(client, event, free_type)
    other = Client()
    response = use_code(other, event, "save10")
    assert "used for all its places" in response.content.decode()
    assert client.post(url("check", event)).status_code == 302
    code.refresh_from_db()
    assert code.uses == 1 and Order.objects.count() == 1


def test_a_reservation_with_a_code_that_lapses_gives_its_use_back(
    client, event, free_type
):
    """The last use, taken by a reservation that runs out, goes to the next."""
    code = make_code(event, max_uses=1)
    use_code(client, event, "save10")
    fill_up_to_check(client, event, free_type)
    Reservation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    other = Client()
    use_code(other, event, "save10")
    assert choose(other, event, {free_type.pk: 1}).status_code == 302
    code.refresh_from_db()
    assert code.uses == 1
    assert Reservation.objects.filter(status="expired").count() == 1
    # The first buyer's confirm cannot take the use back now.
    response = client.post(url("check", event))
    assert response.status_code == 409
    assert "used for all its places" in response.content.decode()
    code.refresh_from_db()
    assert code.uses == 1 and not Order.objects.exists()


def test_removing_the_code_drops_hidden_places(client, event, free_type, sponsor_type):
    make_code(event, "CURIUM", ticket_types=[sponsor_type])
    use_code(client, event, "curium")
    choose(client, event, {sponsor_type.pk: 1})
    response = client.post(url("code", event), {"remove": "1"})
    assert response.status_code == 302
    draft = client.session[f"booking:{event.pk}"]
    assert draft["code"] == ""
    assert Reservation.objects.get().status == Reservation.Status.RELEASED
    sponsor_type.refresh_from_db()
    assert sponsor_type.places_taken == 0
    assert "Sponsor" not in client.get(url("choose", event)).content.decode()


def test_a_tampered_draft_code_starts_again(client, event, free_type):
    session = client.session
    session[f"booking:{event.pk}"] = {
        "quantities": {str(free_type.pk): 1},
        "buyer": BUYER,
        "attendees": [ATTENDEE],
        "payment": "",
        "billing": {},
        "code": ["not", "text"],
    }
    session.save()
    response = client.get(url("check", event))
    assert response.status_code == 302
    assert response["Location"] == url("choose", event)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    data=st.dictionaries(
        st.sampled_from(["code", "remove", "qty_1", "csrfmiddlewaretoken"]),
        junk_text,
        max_size=4,
    )
)
def test_junk_posted_as_a_code_is_refused_politely(client, event, free_type, data):
    """Whatever is posted, never a 500, and only a real code is kept."""
    if not Code.objects.exists():
        make_code(event)
    response = client.post(url("code", event), data)
    nul = any("\x00" in f"{key}{value}" for key, value in data.items())
    assert response.status_code in ({400} if nul else {200, 302})
    kept = client.session.get(f"booking:{event.pk}", {}).get("code", "")
    assert kept in ("", "SAVE10")
    assert not Order.objects.exists()


def test_invalid_utf8_as_a_code_is_refused_politely(client, event, free_type):
    response = client.generic(
        "POST",
        url("code", event),
        b"code=%ff%fe%c3%28",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code in {200, 400}
