"""Reservations in admin: visible with their expiry, never editable; the
dashboard's pool counts them as reserved."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from tickets.models import Reservation
from tickets.services.reservations import reservation_create


def reserve(event, ticket_type, count):
    return reservation_create(event_id=event.pk, quantities={ticket_type.pk: count})


def test_reservations_are_listed_with_their_expiry(organiser_client, event, free_type):
    live = reserve(event, free_type, 2)
    lapsed = reserve(event, free_type, 1)
    Reservation.objects.filter(pk=lapsed.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    url = reverse("admin:tickets_reservation_changelist")
    page = organiser_client.get(url).content.decode()
    assert "2 × Public sector" in page and "1 × Public sector" in page
    live_only = organiser_client.get(url + "?live=yes").content.decode()
    assert "2 × Public sector" in live_only and "1 × Public sector" not in live_only
    detail = organiser_client.get(
        reverse("admin:tickets_reservation_change", args=[live.pk])
    )
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()


def test_reservations_cannot_be_added_changed_or_deleted(
    organiser_client, event, free_type
):
    reservation = reserve(event, free_type, 1)
    assert (
        organiser_client.get(reverse("admin:tickets_reservation_add")).status_code
        == 403
    )
    response = organiser_client.post(
        reverse("admin:tickets_reservation_change", args=[reservation.pk]),
        {"places": 9, "status": "confirmed"},
    )
    assert response.status_code == 403
    assert (
        organiser_client.post(
            reverse("admin:tickets_reservation_delete", args=[reservation.pk]),
            {"post": "yes"},
        ).status_code
        == 403
    )
    reservation.refresh_from_db()
    assert reservation.places == 1 and reservation.status == "active"


def test_the_organiser_can_release_a_reservation(organiser_client, event, free_type):
    reservation = reserve(event, free_type, 3)
    response = organiser_client.post(
        reverse("admin:tickets_reservation_changelist"),
        {"action": "release", "_selected_action": [reservation.pk]},
        follow=True,
    )
    assert "Released 1 reservation" in response.content.decode()
    event.refresh_from_db()
    assert event.places_taken == 0


def test_the_dashboard_counts_reserved_places(organiser_client, event, free_type):
    reserve(event, free_type, 4)
    page = organiser_client.get(
        f"/admin/dashboard/?event={event.slug}"
    ).content.decode()
    assert "<strong>4</strong>" in page and "reserved" in page
    assert "Reserved: 4" in page
    assert "<strong>246</strong>" in page  # remaining
