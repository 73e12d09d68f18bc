"""Whatever is posted to the booking pages, the answer is never a 500."""

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.tickets.flow import ATTENDEE, BUYER, buyer_url, choose, url
from tickets.models import Order

FIELDS = [
    "qty_1",
    "qty_2",
    "qty_999999",
    "qty_-1",
    "qty_abc",
    "buyer_name",
    "buyer_email",
    *ATTENDEE,
    "csrfmiddlewaretoken",
    "price_1",
]
junk_text = st.one_of(
    # Lone surrogates cannot travel in a real request; bad bytes can (below).
    st.text(st.characters(exclude_categories=["Cs"]), max_size=300),
    st.sampled_from(
        [
            "",
            "-1",
            "0",
            "1",
            "99999999999999999999999",
            "1e9",
            "NaN",
            "' OR 1=1 --",
            "<script>alert(1)</script>",
            "\x00",
            "x" * 5000,
        ]
    ),
)
junk_form = st.dictionaries(st.sampled_from(FIELDS), junk_text, max_size=8)
OK = {200, 302, 400, 404, 405, 409}


@pytest.fixture
def started(client, event, free_type):
    """A client part-way through a booking, so every step is reachable."""
    choose(client, event, {free_type.pk: 1})
    client.post(buyer_url(event), BUYER)
    return client


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=junk_form, step=st.sampled_from(["choose", "buyer", "attendee", "check"]))
def test_junk_posted_to_any_step_is_refused_politely(started, event, data, step):
    kwargs = {"number": 1} if step == "attendee" else {}
    response = started.post(url(step, event, **kwargs), data)
    assert response.status_code in OK
    if step != "check":
        assert Order.objects.count() == 0


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(reference=st.text(st.characters(exclude_categories=["Cs"]), min_size=1))
def test_junk_references_and_slugs_are_not_found(client, event, reference):
    for path in (f"/bookings/{reference}/", f"/events/{reference}/book/"):
        response = client.get(path.replace("?", "%3F").replace("#", "%23"))
        # 400: a NUL, refused for the whole site (psdm.security).
        assert response.status_code in {200, 301, 302, 404} | (
            {400} if "\x00" in reference else set()
        )


@pytest.mark.parametrize("step", ["choose", "buyer", "attendee"])
def test_invalid_utf8_bytes_are_refused_politely(started, event, step):
    kwargs = {"number": 1} if step == "attendee" else {}
    response = started.generic(
        "POST",
        url(step, event, **kwargs),
        b"qty_1=%ff%fe&first_name=%c3%28&buyer_email=%80",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code in OK
    assert Order.objects.count() == 0


def test_attendee_numbers_out_of_range(started, event):
    for number in (0, 2, 10**12):
        assert started.get(url("attendee", event, number=number)).status_code == 404


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="lock_timeout is PostgreSQL's"
)
@pytest.mark.django_db(transaction=True)
def test_a_stuck_lock_becomes_a_polite_try_again(settings, django_db_blocker):
    """If the pool's row stays locked, the buyer is asked to try again."""
    import psycopg

    from tests.conftest import lines, make_event, make_ticket_type
    from tickets.services import BookingBusy, order_create

    settings.PSDM_LOCK_TIMEOUT_MS = 200
    event = make_event(capacity=10)
    ticket_type = make_ticket_type(event)
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params) as other:
        other.execute("BEGIN")
        other.execute("SELECT 1 FROM events_event WHERE id = %s FOR UPDATE", [event.pk])
        with pytest.raises(BookingBusy, match="try again"):
            order_create(
                event_id=event.pk,
                buyer_name="Grace",
                buyer_email="grace@example.gov.uk",
                lines=lines(ticket_type, 1),
            )
        other.execute("ROLLBACK")
    assert Order.objects.count() == 0
    event.refresh_from_db()
    assert event.places_taken == 0
