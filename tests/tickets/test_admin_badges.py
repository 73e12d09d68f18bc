"""Badge print sheets in the organiser's admin: print all badges for an
event, print the selected places, follow the build, download the PDF."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.urls import reverse

from tests.conftest import book, make_event, make_ticket_type
from tests.tickets.scan import scan_pdf
from tickets.models import BadgeSheet
from tickets.services import Actor, order_cancel

SHEETS = reverse("admin:tickets_badgesheet_changelist")
PRINT = reverse("admin:tickets_badgesheet_print")
TICKETS = reverse("admin:tickets_ticket_changelist")


def progress_url(sheet):
    return reverse("admin:tickets_badgesheet_progress", args=[sheet.pk])


def status_url(sheet):
    return reverse("admin:tickets_badgesheet_status", args=[sheet.pk])


def download_url(sheet):
    return reverse("admin:tickets_badgesheet_download", args=[sheet.pk])


@pytest.fixture
def order(event, free_type):
    return book(event, free_type, count=3)


def built_sheet(event) -> BadgeSheet:
    from tickets.services.badges import badge_sheet_build

    sheet = BadgeSheet.objects.create(event=event, total=3)
    badge_sheet_build(sheet_id=sheet.pk)
    return BadgeSheet.objects.get(pk=sheet.pk)


def test_print_all_badges_for_an_event(
    organiser_client, event, order, django_capture_on_commit_callbacks
):
    """The organiser picks the event; the sheet is built (in-process here)
    and the progress page offers the PDF."""
    changelist = organiser_client.get(SHEETS).content.decode()
    assert PRINT in changelist and "Print all badges for an event" in changelist
    form = organiser_client.get(PRINT)
    assert form.status_code == 200 and event.name in form.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = organiser_client.post(PRINT, {"event": event.pk})
    sheet = BadgeSheet.objects.get()
    assert response.status_code == 302 and response["Location"] == progress_url(sheet)
    assert (sheet.status, sheet.done, sheet.total) == ("done", 3, 3)
    assert sheet.created_by.username == "organiser"
    page = organiser_client.get(progress_url(sheet)).content.decode()
    assert '<progress id="badge-progress" max="3" value="3">' in page
    assert "3 of 3 badges" in page
    assert download_url(sheet) in page
    assert 'id="badge-download" hidden' not in page


def test_the_event_page_link_chooses_the_event(organiser_client, event):
    make_event(slug="other", name="Other event")
    form = organiser_client.get(PRINT, {"event": event.pk}).content.decode()
    assert f'<option value="{event.pk}" selected>' in form


def test_printing_an_event_with_no_confirmed_places_says_so(organiser_client):
    empty = make_event(slug="empty", name="Empty event")
    response = organiser_client.post(PRINT, {"event": empty.pk})
    assert response.status_code == 200
    assert "There are no confirmed places to print." in response.content.decode()
    assert not BadgeSheet.objects.exists()


def test_progress_page_polls_with_a_static_script_and_falls_back_to_refresh(
    organiser_client, event, order
):
    sheet = BadgeSheet.objects.create(event=event, total=3, done=1)
    page = organiser_client.get(progress_url(sheet)).content.decode()
    assert '<progress id="badge-progress" max="3" value="1">' in page
    assert "1 of 3 badges" in page
    assert f'data-badge-sheet-status="{status_url(sheet)}"' in page
    assert '<script src="/static/tickets/badge-progress.js" defer></script>' in page
    assert '<noscript><meta http-equiv="refresh" content="5"></noscript>' in page
    assert 'id="badge-download" hidden' in page
    # No inline script: the only scripts are files.
    assert "<script>" not in page
    script = organiser_client.get("/static/tickets/badge-progress.js")
    assert script.status_code == 200
    assert b"data-badge-sheet-status" in b"".join(script.streaming_content)


def test_status_json_reports_progress_then_the_download(organiser_client, event, order):
    sheet = BadgeSheet.objects.create(
        event=event, total=3, done=2, status=BadgeSheet.Status.BUILDING
    )
    response = organiser_client.get(status_url(sheet))
    assert response["Content-Type"] == "application/json"
    assert "no-store" in response["Cache-Control"]
    assert response.json() == {
        "status": "building",
        "status_label": "Building",
        "done": 2,
        "total": 3,
        "percent": 67,
        "text": "2 of 3 badges",
        "error": "",
        "download_url": None,
    }
    done = built_sheet(event)
    body = organiser_client.get(status_url(done)).json()
    assert body["status"] == "done" and body["download_url"] == download_url(done)


def test_a_finished_sheet_does_not_refresh(organiser_client, event, order):
    page = organiser_client.get(progress_url(built_sheet(event))).content.decode()
    assert "http-equiv" not in page


def test_download_serves_the_pdf_as_an_attachment(organiser_client, event, order):
    sheet = built_sheet(event)
    response = organiser_client.get(download_url(sheet))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="badges-{event.slug}-{sheet.pk}.pdf"'
    )
    assert response.content == bytes(sheet.pdf)
    assert sorted(scan_pdf(response.content, dpi=150)) == sorted(
        order.tickets.values_list("secret", flat=True)
    )


def test_a_sheet_not_built_yet_has_nothing_to_download(organiser_client, event):
    sheet = BadgeSheet.objects.create(event=event, total=3)
    assert organiser_client.get(download_url(sheet)).status_code == 404
    assert (
        organiser_client.get(
            download_url(sheet).replace(str(sheet.pk), "999")
        ).status_code
        == 404
    )


def test_sheet_list_is_read_only_with_progress_and_download(
    organiser_client, event, order
):
    sheet = built_sheet(event)
    waiting = BadgeSheet.objects.create(event=event, total=3)
    page = organiser_client.get(SHEETS).content.decode()
    assert download_url(sheet) in page and progress_url(waiting) in page
    assert download_url(waiting) not in page
    assert "0 of 3 badges" in page
    add = reverse("admin:tickets_badgesheet_add")
    assert organiser_client.get(add).status_code == 403
    change = organiser_client.get(
        reverse("admin:tickets_badgesheet_change", args=[sheet.pk])
    )
    assert change.status_code == 200 and b'name="_save"' not in change.content


def test_print_badges_for_the_selected_places(
    organiser_client, event, order, django_capture_on_commit_callbacks
):
    """The action prints the confirmed places chosen and opens the progress
    page; a cancelled place among them is left out."""
    first, second, third = order.tickets.order_by("pk")
    order_cancel(order_id=order.pk, actor=Actor.system(), ticket_ids=[second.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = organiser_client.post(
            TICKETS,
            {"action": "print_badges", ACTION_CHECKBOX_NAME: [first.pk, second.pk]},
        )
    sheet = BadgeSheet.objects.get()
    assert response.status_code == 302 and response["Location"] == progress_url(sheet)
    assert sheet.ticket_ids == sorted([first.pk, second.pk])
    assert (sheet.status, sheet.total) == ("done", 1)
    assert scan_pdf(bytes(sheet.pdf), dpi=150) == [first.secret]


def test_selected_places_of_two_events_make_two_sheets(organiser_client, event, order):
    other = make_event(slug="other", name="Other event")
    theirs = book(other, make_ticket_type(other)).tickets.get()
    mine = order.tickets.first()
    response = organiser_client.post(
        TICKETS, {"action": "print_badges", ACTION_CHECKBOX_NAME: [mine.pk, theirs.pk]}
    )
    assert response.status_code == 302 and response["Location"] == SHEETS
    assert sorted(BadgeSheet.objects.values_list("event_id", "total")) == sorted(
        [(event.pk, 1), (other.pk, 1)]
    )


def test_selecting_only_cancelled_places_prints_nothing(organiser_client, order):
    ticket = order.tickets.first()
    order_cancel(order_id=order.pk, actor=Actor.system(), ticket_ids=[ticket.pk])
    response = organiser_client.post(
        TICKETS, {"action": "print_badges", ACTION_CHECKBOX_NAME: [ticket.pk]}
    )
    assert response.status_code == 302
    assert not BadgeSheet.objects.exists()
    messages = [str(m) for m in get_messages(response.wsgi_request)]
    assert "None of the selected places is confirmed: no badges to print." in messages


# --- who may ------------------------------------------------------------------


def test_non_staff_are_sent_to_log_in(client, django_user_model, event, order):
    sheet = built_sheet(event)
    client.force_login(django_user_model.objects.create_user("visitor", password="pw"))
    for url in (PRINT, progress_url(sheet), status_url(sheet), download_url(sheet)):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("admin:login")), url
    response = client.post(PRINT, {"event": event.pk})
    assert response.status_code == 302
    assert BadgeSheet.objects.count() == 1


def test_staff_without_permission_are_refused(client, django_user_model, event, order):
    sheet = built_sheet(event)
    staff = django_user_model.objects.create_user("clerk", password="pw", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_ticket"))
    client.force_login(staff)
    for url in (PRINT, progress_url(sheet), status_url(sheet), download_url(sheet)):
        assert client.get(url).status_code == 403, url
    assert client.post(PRINT, {"event": event.pk}).status_code == 403
    # The action is not offered without permission to print.
    response = client.post(
        TICKETS,
        {"action": "print_badges", ACTION_CHECKBOX_NAME: [order.tickets.first().pk]},
    )
    assert BadgeSheet.objects.count() == 1
    assert b"print_badges" not in client.get(TICKETS).content
    # Back to the list, nothing done (a redirect when the user has other
    # actions, such as the exports, so the list has an action form).
    assert response.status_code in (200, 302)


def test_staff_who_may_view_sheets_may_download_but_not_print(
    client, django_user_model, event, order
):
    sheet = built_sheet(event)
    staff = django_user_model.objects.create_user(
        "viewer", password="pw", is_staff=True
    )
    staff.user_permissions.add(Permission.objects.get(codename="view_badgesheet"))
    client.force_login(staff)
    assert client.get(download_url(sheet)).status_code == 200
    assert client.get(status_url(sheet)).status_code == 200
    assert client.get(PRINT).status_code == 403
    assert "Print all badges" not in client.get(SHEETS).content.decode()


def test_print_badges_for_the_selected_orders(
    organiser_client, event, free_type, order, django_capture_on_commit_callbacks
):
    """From the orders list: every confirmed place of the chosen orders."""
    first, second, third = order.tickets.order_by("pk")
    order_cancel(order_id=order.pk, actor=Actor.system(), ticket_ids=[second.pk])
    other = book(event, free_type)
    book(event, free_type)  # not selected
    with django_capture_on_commit_callbacks(execute=True):
        response = organiser_client.post(
            reverse("admin:tickets_order_changelist"),
            {
                "action": "print_order_badges",
                ACTION_CHECKBOX_NAME: [order.pk, other.pk],
            },
        )
    sheet = BadgeSheet.objects.get()
    assert response.status_code == 302 and response["Location"] == progress_url(sheet)
    assert (sheet.status, sheet.total) == ("done", 3)
    expected = {first.secret, third.secret, other.tickets.get().secret}
    assert set(scan_pdf(bytes(sheet.pdf), dpi=150)) == expected
