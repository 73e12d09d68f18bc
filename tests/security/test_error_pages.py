"""Friendly error pages (DEBUG off): GOV.UK style, no internals shown."""

import pytest
from django.test import Client

SECRET = "a made-up"


@pytest.fixture
def errors(settings):
    settings.DEBUG = False
    settings.ROOT_URLCONF = "tests.security.error_urls"


def page_of(response) -> str:
    text = response.content.decode()
    assert SECRET not in text
    assert "Traceback" not in text
    return text


@pytest.mark.django_db
def test_404_says_how_to_find_the_page(client, errors):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    text = page_of(response)
    assert '<h1 class="govuk-heading-l">Page not found</h1>' in text
    assert "Public Sector Digital Midlands" in text  # the site's own layout
    assert "use the link in your confirmation e-mail" in text


@pytest.mark.django_db
def test_an_unknown_booking_link_is_the_same_friendly_404(client, errors):
    response = client.get("/bookings/PSDM-XXXXX/not-a-secret/")
    assert response.status_code == 404
    assert "Page not found" in page_of(response)


@pytest.mark.django_db
def test_400_says_nothing_changed(client, errors):
    response = client.get("/test-errors/400/")
    assert response.status_code == 400
    text = page_of(response)
    assert "Sorry, there is a problem with your request" in text
    assert "Nothing has been changed" in text


@pytest.mark.django_db
def test_403_says_who_to_ask(client, errors):
    response = client.get("/test-errors/403/")
    assert response.status_code == 403
    text = page_of(response)
    assert "You do not have permission to see this page" in text
    assert "contact the organisers" in text


@pytest.mark.django_db
def test_a_failed_csrf_check_says_the_page_expired(errors, event):
    client = Client(enforce_csrf_checks=True)
    response = client.post(f"/events/{event.slug}/book/", {})
    assert response.status_code == 403
    text = page_of(response)
    assert "This page has expired" in text
    assert "Public Sector Digital Midlands" in text
    assert "CSRF" not in text


@pytest.mark.django_db
def test_the_check_in_api_still_answers_csrf_failures_in_json(errors):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/checkin/api/scan", "{}", content_type="application/json")
    assert response.status_code == 403
    assert response.json()["error"] == "csrf"


@pytest.mark.django_db
def test_500_is_drawn_without_the_database(errors, django_assert_num_queries):
    client = Client(raise_request_exception=False)
    with django_assert_num_queries(0):
        response = client.get("/test-errors/500/")
    assert response.status_code == 500
    text = page_of(response)
    assert "Sorry, there is a problem with the service" in text
    assert "Public Sector Digital Midlands" in text
    assert "/static/dist/psdm.css" in text


def test_500_still_answers_if_its_template_fails(settings):
    from django.test import RequestFactory

    from psdm.security.views import server_error

    response = server_error(RequestFactory().get("/"), template_name="missing.html")
    assert response.status_code == 500
    assert b"Sorry, there is a problem with the service" in response.content


@pytest.mark.django_db
def test_error_pages_have_no_inline_scripts_and_the_policy(client, errors):
    for url in ("/no-such-page/", "/test-errors/400/", "/test-errors/403/"):
        response = client.get(url)
        assert "Content-Security-Policy" in response
        assert "<script>" not in response.content.decode()
