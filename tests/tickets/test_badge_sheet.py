"""Badge print sheets: A4 pages of badges in surname order with cut marks,
asked for by an organiser and built by Celery, idempotently."""

import io
import logging

import pytest
from pypdf import PdfReader
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm

from tests.conftest import attendee, book, make_event, make_ticket_type
from tests.tickets.scan import pdf_pages, scan_pdf
from tickets import tasks
from tickets.badges import BadgeData, badge_sheet_pdf, geometry
from tickets.badges.pdf import sheet_layout
from tickets.models import BadgeSheet
from tickets.services import OrderLine, order_cancel, order_create
from tickets.services.badges import (
    NothingToPrint,
    badge_sheet_build,
    badge_sheet_request,
)
from tickets.services.history import Actor


def data(first, last, code="code") -> BadgeData:
    return BadgeData(
        first_name=first,
        last_name=last,
        organisation="Birmingham City Council",
        role="attendee",
        role_label="Attendee",
        event_name="PSDM 2026",
        date_text="Thursday 12 March 2026",
        code=code,
    )


def page_texts(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def book_people(event, ticket_type, people):
    """One order with a place for each (first name, last name)."""
    return order_create(
        event_id=event.pk,
        buyer_name="Grace Hopper",
        buyer_email="grace@example.gov.uk",
        lines=[
            OrderLine(
                ticket_type_id=ticket_type.pk,
                attendee=attendee(i, first_name=first, last_name=last),
            )
            for i, (first, last) in enumerate(people)
        ],
    )


# --- the PDF ----------------------------------------------------------------


@pytest.mark.parametrize("size, per_page", [("a6", 4), ("4x3", 6)])
def test_sheet_tiles_badges_on_a4(size, per_page):
    """A6 badges go 2 x 2 on an A4 page, 4 x 3 badges 2 columns of 3; the
    last page takes what is left."""
    badges = [data(f"First{i}", f"Last{i:02d}", f"code-{i:02d}") for i in range(9)]
    pdf = badge_sheet_pdf(badges, size=size)
    pages = PdfReader(io.BytesIO(pdf)).pages
    assert len(pages) == -(-9 // per_page)
    for page in pages:
        box = page.mediabox
        assert (float(box.width), float(box.height)) == pytest.approx(A4, abs=0.01)
    assert sorted(scan_pdf(pdf, dpi=150)) == [f"code-{i:02d}" for i in range(9)]


def test_sheet_is_sorted_by_surname_then_first_name_ignoring_case_and_accents():
    badges = [
        data("Zoë", "Ó'Brien", "1"),
        data("bob", "Ábel", "2"),
        data("Ada", "lovelace", "3"),
        data("Émile", "Zola", "4"),
        data("Alan", "abel", "5"),
        data("Ángel", "Lovelace", "6"),
    ]
    texts = page_texts(badge_sheet_pdf(badges, size="4x3"))
    assert len(texts) == 1
    order = [texts[0].index(name) for name in ("Alan", "bob", "Ada", "Ángel", "Zoë")]
    assert order == sorted(order)
    assert texts[0].index("Zoë") < texts[0].index("Émile")


def test_sheet_order_is_the_same_whatever_order_the_badges_come_in():
    badges = [
        data("Sam", "Smith", "b"),
        data("Sam", "Smith", "a"),
        data("Al", "Ng", "c"),
    ]
    first = badge_sheet_pdf(badges)
    assert badge_sheet_pdf(list(reversed(badges))) == first
    assert scan_pdf(first, dpi=150) == ["c", "a", "b"]


def test_sheet_reports_progress_every_ten_badges_and_at_the_end():
    calls = []
    badges = [data("A", f"Name{i:02d}", str(i)) for i in range(25)]
    badge_sheet_pdf(badges, on_progress=lambda done, total: calls.append((done, total)))
    assert calls == [(10, 25), (20, 25), (25, 25)]


@pytest.mark.parametrize("size,columns,rows", [("a6", 2, 2), ("4x3", 2, 3)])
def test_sheets_have_cut_marks_in_the_margins_at_every_cut(size, columns, rows):
    """Marks in line with each cut, in the margins and short of the badge."""
    dpi = 200
    badges = [data("A", "B")] * (columns * rows)
    [page] = pdf_pages(badge_sheet_pdf(badges, size=size), dpi=dpi)
    page = page.convert("L")
    geo = geometry(size)
    scale, margin_x, margin_y = sheet_layout(geo)
    width, height = geo.width * scale, geo.height * scale
    assert margin_x >= 8 * mm - 0.01 and margin_y >= 8 * mm - 0.01
    assert scale > 0.9  # still nearly full size
    px = dpi / 72

    def dark(x, y) -> bool:
        # The darkest pixel across a line 1 pixel either side of (x, y).
        cx, cy = round(x * px), round(y * px)
        around = [
            page.getpixel((cx + dx, cy + dy)) for dx in (-1, 0, 1) for dy in (-1, 0, 1)
        ]
        return min(around) < 160

    for i in range(columns + 1):  # the vertical cuts: marks above and below
        x = margin_x + i * width
        above, below = margin_y - 3 * mm, A4[1] - margin_y + 3 * mm
        assert dark(x, above) and dark(x, below)
        assert not dark(x + 3 * mm, above)
    for j in range(rows + 1):  # the horizontal cuts: marks left and right
        y = margin_y + j * height
        assert dark(margin_x - 3 * mm, y) and dark(A4[0] - margin_x + 3 * mm, y)
    assert not dark(margin_x - 3 * mm, margin_y + height / 2)


def test_a_sheet_of_a6_badges_prints_four_that_scan():
    pdf = badge_sheet_pdf([data("A", f"B{i}", f"c{i}") for i in range(4)], size="a6")
    assert len(pdf_pages(pdf, dpi=50)) == 1
    assert scan_pdf(pdf, dpi=150) == ["c0", "c1", "c2", "c3"]


# --- the service and the task -------------------------------------------------


@pytest.fixture
def people(event, free_type):
    return book_people(
        event,
        free_type,
        [("Zoë", "Zola"), ("ada", "Lovelace"), ("Émile", "Ábel"), ("Bob", "Byrne")],
    )


def test_request_counts_the_badges_and_builds_them_after_commit(
    event, people, django_capture_on_commit_callbacks, django_user_model
):
    """The sheet is recorded queued with its total; once the transaction
    commits the Celery task (in-process here) builds it."""
    user = django_user_model.objects.create_user("org", password="pw")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        sheet = badge_sheet_request(event_id=event.pk, user=user)
        assert (sheet.status, sheet.total, sheet.done) == ("queued", 4, 0)
        assert sheet.created_by == user
    assert len(callbacks) == 1
    callbacks[0]()
    sheet.refresh_from_db()
    assert (sheet.status, sheet.done, sheet.total) == ("done", 4, 4)
    assert sheet.finished_at is not None and sheet.percent == 100
    pdf = bytes(sheet.pdf)
    assert len(PdfReader(io.BytesIO(pdf)).pages) == 1
    secrets = {t.last_name: t.secret for t in people.tickets.all()}
    assert scan_pdf(pdf, dpi=150) == [
        secrets[name] for name in ("Ábel", "Byrne", "Lovelace", "Zola")
    ]


def test_a_selection_prints_only_the_selected_confirmed_places(
    event, free_type, people, django_capture_on_commit_callbacks
):
    zoe, ada, emile, bob = people.tickets.order_by("pk")
    order_cancel(order_id=people.pk, actor=Actor.system(), ticket_ids=[bob.pk])
    other_event = make_event(slug="other", name="Other")
    stranger = book(other_event, make_ticket_type(other_event)).tickets.get()
    with django_capture_on_commit_callbacks(execute=True):
        sheet = badge_sheet_request(
            event_id=event.pk, ticket_ids=[zoe.pk, emile.pk, bob.pk, stranger.pk]
        )
    sheet.refresh_from_db()
    assert sheet.ticket_ids == sorted([zoe.pk, emile.pk, bob.pk, stranger.pk])
    assert (sheet.status, sheet.total, sheet.done) == ("done", 2, 2)
    text = page_texts(bytes(sheet.pdf))[0]
    assert "Zoë" in text and "Émile" in text
    assert "Bob" not in text and "ada" not in text and "Ada0" not in text
    assert scan_pdf(bytes(sheet.pdf), dpi=150) == [emile.secret, zoe.secret]


def test_nothing_to_print_is_refused(event, free_type, people):
    bob = people.tickets.get(first_name="Bob")
    order_cancel(order_id=people.pk, actor=Actor.system(), ticket_ids=[bob.pk])
    with pytest.raises(NothingToPrint):
        badge_sheet_request(event_id=event.pk, ticket_ids=[bob.pk])
    empty = make_event(slug="empty")
    with pytest.raises(NothingToPrint):
        badge_sheet_request(event_id=empty.pk)
    assert not BadgeSheet.objects.exists()


def test_build_records_progress_in_the_database(event, free_type, monkeypatch):
    for start in (0, 10, 20):
        book_people(
            event,
            free_type,
            [("A", f"Person{i:02d}") for i in range(start, start + 10)],
        )
    sheet = BadgeSheet.objects.create(event=event, total=30)
    seen = []
    real = badge_sheet_pdf

    def watched(datas, on_progress=None):
        def progress(done, total):
            on_progress(done, total)
            row = BadgeSheet.objects.get(pk=sheet.pk)
            seen.append((row.status, row.done, row.total))

        return real(datas, on_progress=progress)

    monkeypatch.setattr("tickets.services.badges.badge_sheet_pdf", watched)
    assert badge_sheet_build(sheet_id=sheet.pk) == "done"
    assert seen == [("building", 10, 30), ("building", 20, 30), ("building", 30, 30)]


def test_build_is_idempotent(event, people, monkeypatch):
    sheet = BadgeSheet.objects.create(event=event, total=4)
    assert badge_sheet_build(sheet_id=sheet.pk) == "done"
    sheet.refresh_from_db()
    pdf, finished_at = bytes(sheet.pdf), sheet.finished_at

    def must_not_run(*args, **kwargs):
        raise AssertionError("a built sheet was built again")

    monkeypatch.setattr("tickets.services.badges.badge_sheet_pdf", must_not_run)
    assert badge_sheet_build(sheet_id=sheet.pk) == "done"
    assert tasks.badge_sheet_build.delay(sheet.pk).get() == "done"
    sheet.refresh_from_db()
    assert bytes(sheet.pdf) == pdf and sheet.finished_at == finished_at


def test_a_failed_build_is_marked_failed_and_raised(event, people, monkeypatch):
    sheet = BadgeSheet.objects.create(event=event, total=4)

    def broken(datas, on_progress=None):
        on_progress(2, len(datas))
        raise RuntimeError("printer on fire")

    monkeypatch.setattr("tickets.services.badges.badge_sheet_pdf", broken)
    with pytest.raises(RuntimeError, match="printer on fire"):
        badge_sheet_build(sheet_id=sheet.pk)
    sheet.refresh_from_db()
    assert (sheet.status, sheet.error, sheet.done) == ("failed", "printer on fire", 2)
    assert sheet.pdf is None
    monkeypatch.undo()
    assert badge_sheet_build(sheet_id=sheet.pk) == "done"  # asked again, it builds
    sheet.refresh_from_db()
    assert (sheet.status, sheet.error, sheet.done) == ("done", "", 4)


def test_an_unknown_badge_size_fails_the_sheet_clearly(event, people, settings):
    settings.PSDM_BADGE_SIZE = "a5"
    sheet = BadgeSheet.objects.create(event=event, total=4)
    with pytest.raises(Exception, match="PSDM_BADGE_SIZE"):
        badge_sheet_build(sheet_id=sheet.pk)
    sheet.refresh_from_db()
    assert sheet.status == "failed" and "PSDM_BADGE_SIZE" in sheet.error


def test_places_cancelled_after_the_request_are_not_printed(
    event, people, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        sheet = badge_sheet_request(event_id=event.pk)
    assert sheet.total == 4
    zoe = people.tickets.get(first_name="Zoë")
    order_cancel(order_id=people.pk, actor=Actor.system(), ticket_ids=[zoe.pk])
    callbacks[0]()
    sheet.refresh_from_db()
    assert (sheet.status, sheet.done, sheet.total) == ("done", 3, 3)
    assert zoe.secret not in scan_pdf(bytes(sheet.pdf), dpi=150)


def test_the_celery_task_runs_the_build(event, people):
    sheet = BadgeSheet.objects.create(event=event, total=4)
    assert tasks.badge_sheet_build.delay(sheet.pk).get() == "done"
    assert BadgeSheet.objects.get(pk=sheet.pk).status == "done"


def test_a_broker_that_is_down_does_not_lose_the_request(
    event, people, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    """The sheet is recorded (queued) and the failure logged, not raised."""

    def down(*args, **kwargs):
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(tasks.badge_sheet_build, "delay", down)
    with caplog.at_level(logging.WARNING, logger="tickets.services.badges"):
        with django_capture_on_commit_callbacks(execute=True):
            sheet = badge_sheet_request(event_id=event.pk)
    sheet.refresh_from_db()
    assert sheet.status == "queued"
    assert f"Could not queue badge sheet {sheet.pk}" in caplog.text
