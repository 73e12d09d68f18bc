"""Badges from the buyer's manage-my-booking link: a PDF to print and a PNG
for a phone, for each confirmed place, and only through the right link."""

import io

import pytest
from django.urls import reverse
from PIL import Image
from pypdf import PdfReader

from tests.conftest import book, hold, make_event, make_ticket_type
from tests.tickets.scan import scan_pdf, scan_png
from tickets.services import Actor, order_cancel


def badge_url(order, ticket, kind="pdf", secret=None):
    return reverse(
        f"tickets:badge_{kind}",
        kwargs={
            "reference": order.reference,
            "secret": secret or order.secret,
            "ticket_id": ticket.pk,
        },
    )


@pytest.fixture
def order(event, free_type):
    return book(event, free_type, count=2)


def test_pdf_badge_downloads_and_scans(client, order):
    ticket = order.tickets.order_by("pk").first()
    response = client.get(badge_url(order, ticket))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        'attachment; filename="badge-lovelace.pdf"'
    )
    assert response["Cache-Control"] == "private, no-store"
    assert len(PdfReader(io.BytesIO(response.content)).pages) == 1
    assert "Ada0" in PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert scan_pdf(response.content, dpi=150) == [ticket.secret]


def test_png_badge_downloads_and_scans(client, order):
    ticket = order.tickets.order_by("pk").last()
    response = client.get(badge_url(order, ticket, "png"))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == (
        'attachment; filename="badge-lovelace.png"'
    )
    assert response["Cache-Control"] == "private, no-store"
    assert Image.open(io.BytesIO(response.content)).size == (1240, 1748)
    assert scan_png(response.content) == [ticket.secret]


def test_filename_is_a_slug_of_the_surname(client, event):
    ticket_type = make_ticket_type(event)
    order = book(event, ticket_type)
    ticket = order.tickets.get()
    ticket.last_name = "Ó'Súilleabháin-Nguyễn"
    ticket.save(update_fields=["last_name"])
    response = client.get(badge_url(order, ticket, "png"))
    assert response["Content-Disposition"] == (
        'attachment; filename="badge-osuilleabhain-nguyen.png"'
    )


@pytest.mark.parametrize("kind", ["pdf", "png"])
def test_a_wrong_secret_is_not_found(client, order, kind):
    ticket = order.tickets.first()
    assert (
        client.get(badge_url(order, ticket, kind, secret="x" * 32)).status_code == 404
    )
    assert (
        client.get(badge_url(order, ticket, kind, secret=order.secret[:-1])).status_code
        == 404
    )


@pytest.mark.parametrize("kind", ["pdf", "png"])
def test_another_orders_ticket_is_not_found(client, event, free_type, order, kind):
    theirs = book(event, free_type, buyer_email="other@example.gov.uk").tickets.get()
    assert client.get(badge_url(order, theirs, kind)).status_code == 404
    other_event = make_event(slug="other-event")
    stranger = book(other_event, make_ticket_type(other_event)).tickets.get()
    assert client.get(badge_url(order, stranger, kind)).status_code == 404


@pytest.mark.parametrize("kind", ["pdf", "png"])
def test_a_cancelled_place_has_no_badge(client, order, kind):
    cancelled, kept = order.tickets.order_by("pk")
    order_cancel(order_id=order.pk, actor=Actor.buyer(), ticket_ids=[cancelled.pk])
    assert client.get(badge_url(order, cancelled, kind)).status_code == 404
    assert client.get(badge_url(order, kept, kind)).status_code == 200


def test_a_place_still_being_paid_for_has_no_badge(client, event, free_type):
    order = hold(book(event, free_type))
    ticket = order.tickets.get()
    assert client.get(badge_url(order, ticket)).status_code == 404
    assert client.get(badge_url(order, ticket, "png")).status_code == 404


def test_badges_are_only_downloaded_with_get(client, order):
    ticket = order.tickets.first()
    assert client.post(badge_url(order, ticket)).status_code == 405


def test_the_manage_page_links_each_confirmed_places_badges(client, order):
    first, second = order.tickets.order_by("pk")
    order_cancel(order_id=order.pk, actor=Actor.buyer(), ticket_ids=[second.pk])
    page = client.get(order.get_absolute_url()).content.decode()
    assert badge_url(order, first) in page and badge_url(order, first, "png") in page
    assert badge_url(order, second) not in page
    # Each link says whose badge it is to a screen reader.
    assert (
        'Download badge<span class="govuk-visually-hidden"> for Ada0 Lovelace</span>'
        " (PDF)"
    ) in page
    assert (
        'Download badge<span class="govuk-visually-hidden"> for Ada0 Lovelace</span>'
        " (PNG)"
    ) in page


def test_the_manage_page_has_no_badge_links_before_payment(client, event, free_type):
    order = hold(book(event, free_type))
    page = client.get(order.get_absolute_url()).content.decode()
    assert "Download badge" not in page
