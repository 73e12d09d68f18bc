from tests.conftest import book, hold, make_ticket_type


def test_availability_json(client, event, free_type):
    """The counter endpoint reports the pool and each visible ticket type."""
    students = make_ticket_type(event, name="Student", quota=30, position=1)
    make_ticket_type(event, name="Hidden", is_visible=False)
    book(event, free_type, count=4)
    held = book(event, students, count=2)
    hold(held)

    response = client.get(f"/events/{event.slug}/availability.json")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    # Kept by browsers and proxies for seconds at most.
    assert response["Cache-Control"] == "public, max-age=3"
    data = response.json()
    assert {k: data[k] for k in ("capacity", "confirmed", "held", "remaining")} == {
        "capacity": 250,
        "confirmed": 4,
        "held": 2,
        "remaining": 244,
    }
    assert [(t["name"], t["remaining"]) for t in data["ticket_types"]] == [
        ("Public sector", 244),
        ("Student", 28),
    ]


def test_availability_json_for_unknown_event(client, db):
    assert client.get("/events/nope/availability.json").status_code == 404


def test_availability_json_is_served_from_the_cache_for_seconds(
    client, event, free_type, django_assert_num_queries
):
    """Polled by everyone with the event page open: no query once cached,
    and a booking shows within AVAILABILITY_CACHE_SECONDS."""
    from django.core.cache import cache

    path = f"/events/{event.slug}/availability.json"
    assert client.get(path).json()["remaining"] == 250
    book(event, free_type, count=2)
    with django_assert_num_queries(0):
        cached = client.get(path)
    assert cached.json()["remaining"] == 250  # at most a few seconds old
    cache.delete(f"availability.json:{event.slug}")  # as time passing does
    assert client.get(path).json()["remaining"] == 248


def test_availability_json_of_an_unknown_event_is_not_found(client, db):
    assert client.get("/events/nope/availability.json").status_code == 404
    assert client.get("/events/nope/availability.json").status_code == 404
