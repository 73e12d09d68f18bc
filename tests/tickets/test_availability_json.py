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
    assert response["Cache-Control"] == "public, max-age=2"
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
