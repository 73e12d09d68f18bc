"""The database itself refuses an oversold pool."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from events.services import event_places_release, event_places_take
from tests.conftest import make_event, make_ticket_type


def test_database_refuses_places_taken_above_capacity(event):
    event.places_taken = event.capacity + 1
    with pytest.raises(IntegrityError), transaction.atomic():
        event.save()


def test_database_refuses_a_ticket_type_over_its_cap(event):
    students = make_ticket_type(event, name="Student", quota=2)
    students.places_taken = 3
    with pytest.raises(IntegrityError), transaction.atomic():
        students.save()


def test_admin_validation_explains_capacity_below_places_taken(event):
    """The organiser is told why a capacity is refused, in words."""
    event_places_take(event_id=event.pk, quantity=10)
    event.refresh_from_db()
    event.capacity = 5
    with pytest.raises(ValidationError, match="less than the places already taken"):
        event.full_clean()


def test_take_and_release_places(db):
    event = make_event(capacity=3)
    assert event_places_take(event_id=event.pk, quantity=3)
    assert not event_places_take(event_id=event.pk, quantity=1)
    event_places_release(event_id=event.pk, quantity=2)
    event.refresh_from_db()
    assert event.places_taken == 1
    with pytest.raises(ValueError):
        event_places_take(event_id=event.pk, quantity=0)


def test_event_must_end_after_it_starts(event):
    event.ends_at = event.starts_at.replace(year=event.starts_at.year - 1)
    with pytest.raises(ValidationError, match="end after it starts"):
        event.full_clean()
