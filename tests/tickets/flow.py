"""Drive the booking flow with Django's test client."""

from django.urls import reverse

ATTENDEE = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "email": "ada@example.gov.uk",
    "organisation": "Office of the Public Guardian",
    "job_title": "Developer",
    "sector": "central_government",
    "access_needs": "",
    "dietary_needs": "",
}
BUYER = {"buyer_name": "Grace Hopper", "buyer_email": "grace@example.gov.uk"}


def url(name, event, **kwargs):
    return reverse(f"tickets:{name}", kwargs={"slug": event.slug, **kwargs})


def buyer_url(event):
    """The buyer's own page, also for one place (booking for someone else)."""
    return url("buyer", event) + "?for=someone-else"


def self_details(client, event, attendee=None):
    """Book one place for oneself: the buyer is the attendee (one page)."""
    return client.post(url("buyer", event), {**ATTENDEE, **(attendee or {})})


def choose(client, event, quantities: dict):
    data = {f"qty_{pk}": qty for pk, qty in quantities.items()}
    return client.post(url("choose", event), data)


def fill_up_to_check(client, event, ticket_type, count=1, attendee=None):
    """Answer every question before check-your-answers; return the last response."""
    assert choose(client, event, {ticket_type.pk: count}).status_code == 302
    assert client.post(buyer_url(event), BUYER).status_code == 302
    response = None
    for number in range(1, count + 1):
        data = {**ATTENDEE, "first_name": f"Ada{number}", **(attendee or {})}
        response = client.post(url("attendee", event, number=number), data)
        assert response.status_code == 302, response.content.decode()[:2000]
    return response
