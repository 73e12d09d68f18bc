"""The organiser's main tasks in Django's admin, in Chromium, as a member of
the Organiser group: sign in, add a sponsor with a logo, add a speaker with
a photo and put them on a session, find an attendee, and download the
caterer's list. axe-core checks every page on the way, the admin's and the
public pages the tour changes."""

import csv
import io
import re

import pytest
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.urls import reverse
from playwright.sync_api import Page, expect

from events.models import Session, Speaker
from sponsors.models import Sponsor, SponsorTier
from tests.conftest import make_ticket_type
from tickets.roles import ORGANISER_GROUP
from tickets.services import AttendeeDetails, OrderLine, order_create

from .conftest import ADMIN_STYLESHEET, check_a11y, png_bytes

pytestmark = pytest.mark.browser

USERNAME = "tour-organiser"
PASSWORD = "a-long-tour-password-2026"


@pytest.fixture
def organiser(django_user_model):
    user = django_user_model.objects.create_user(
        USERNAME, "tour@example.gov.uk", PASSWORD, is_staff=True
    )
    user.groups.add(Group.objects.get(name=ORGANISER_GROUP))
    return user


@pytest.fixture
def programme(event):
    """A session with one speaker, a sponsor tier, and two booked places."""
    opener = Speaker.objects.create(
        event=event, name="Ada Opener", slug="ada-opener", position=5
    )
    keynote = Session.objects.create(
        event=event,
        title="Keynote: digital services together",
        starts_at=event.starts_at,
        ends_at=event.starts_at,
        room="Main hall",
    )
    keynote.speakers.add(opener, through_defaults={"position": 1})
    SponsorTier.objects.create(
        name="Gold", rank=2, colour="#f0c43f", free_places=2, benefits="Stand"
    )
    ticket_type = make_ticket_type(event)
    people = [
        AttendeeDetails(
            first_name="Chidi",
            last_name="Okonkwo",
            email="chidi@example.gov.uk",
            organisation="Dudley Council",
            sector="local_government",
            dietary_needs="Halal",
            access_needs="Step-free access to the main hall",
        ),
        AttendeeDetails(
            first_name="Beth",
            last_name="Nolan",
            email="beth@example.gov.uk",
            organisation="DVLA",
            sector="central_government",
        ),
    ]
    order_create(
        event_id=event.pk,
        buyer_name="Chidi Okonkwo",
        buyer_email="chidi@example.gov.uk",
        lines=[OrderLine(ticket_type_id=ticket_type.pk, attendee=a) for a in people],
    )
    return keynote


def admin_check(page: Page) -> None:
    check_a11y(page, stylesheet=ADMIN_STYLESHEET)


def follow(page: Page, action) -> None:
    """Do something that loads an admin page, then check that page."""
    with page.expect_navigation(wait_until="load"):
        action()
    admin_check(page)


def public(page: Page, path: str) -> None:
    response = page.goto(path)
    assert response is not None and response.status == 200, path
    check_a11y(page)


def link(page: Page, href: str):
    return page.locator(f'#content a[href="{href}"]').first


def image_loaded(page: Page, selector: str) -> bool:
    return page.locator(selector).evaluate(
        "(img) => img.complete && img.naturalWidth > 0"
    )


def sign_in(page: Page) -> None:
    response = page.goto("/admin/")
    assert response is not None and response.status == 200
    assert "/admin/login/" in page.url
    admin_check(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    page.get_by_label("Username").fill(USERNAME)
    page.get_by_label("Password").fill(PASSWORD)
    follow(page, lambda: page.get_by_role("button", name="Log in").click())
    expect(page.locator("#user-tools")).to_contain_text(USERNAME)


def add_sponsor(page: Page, event) -> None:
    follow(
        page, lambda: link(page, reverse("admin:sponsors_sponsor_changelist")).click()
    )
    follow(page, lambda: page.get_by_role("link", name="Add sponsor").click())
    page.get_by_label("Event:", exact=True).select_option(label=event.name)
    page.get_by_label("Tier:").select_option(label="Gold")
    page.get_by_label("Name:", exact=True).fill("Canalside Cloud Ltd")
    page.get_by_label("Contact name:").fill("Priya Sharma")
    page.get_by_label("Contact e-mail:").fill("priya@canalside.example.com")
    page.locator("#id_logo").set_input_files(
        files=[
            {
                "name": "canalside.png",
                "mimeType": "image/png",
                "buffer": png_bytes((600, 300), (0, 102, 94)),
            }
        ]
    )
    follow(page, lambda: page.get_by_role("button", name="Save", exact=True).click())
    expect(page.locator(".messagelist .success")).to_contain_text("Canalside Cloud")
    sponsor = Sponsor.objects.get(name="Canalside Cloud Ltd")
    assert sponsor.tier.name == "Gold" and sponsor.logo

    for path in [f"/events/{event.slug}/sponsors/", f"/events/{event.slug}/"]:
        public(page, path)
        logo = page.get_by_role("img", name="Canalside Cloud Ltd")
        expect(logo).to_be_visible()
        assert image_loaded(page, 'img[alt="Canalside Cloud Ltd"]')
        expect(page.locator(".psdm-tier", has_text="Gold")).to_be_visible()


def add_speaker(page: Page, event, keynote) -> None:
    follow(page, lambda: page.goto(reverse("admin:index")))
    follow(page, lambda: link(page, reverse("admin:events_speaker_changelist")).click())
    follow(page, lambda: page.get_by_role("link", name="Add speaker").click())
    page.get_by_label("Event:", exact=True).select_option(label=event.name)
    page.get_by_label("Name:", exact=True).press_sequentially("Zara Ahmed")
    expect(page.get_by_label("Web address name:")).to_have_value("zara-ahmed")
    page.get_by_label("Role:").fill("Head of Digital")
    page.get_by_label("Organisation:").fill("Sandwell Council")
    page.locator("#id_photo").set_input_files(
        files=[
            {
                "name": "zara.png",
                "mimeType": "image/png",
                "buffer": png_bytes((800, 600), (29, 112, 184)),
            }
        ]
    )
    follow(page, lambda: page.get_by_role("button", name="Save", exact=True).click())
    expect(page.locator(".messagelist .success")).to_contain_text("Zara Ahmed")

    # Put her on the keynote, speaking second.
    follow(page, lambda: page.locator(".breadcrumbs a", has_text="Events").click())
    follow(page, lambda: link(page, reverse("admin:events_session_changelist")).click())
    follow(page, lambda: page.get_by_role("link", name=keynote.title).click())
    page.get_by_label("Speaker: new").first.select_option(label="Zara Ahmed")
    page.get_by_label("Order: new").first.fill("2")
    follow(page, lambda: page.get_by_role("button", name="Save", exact=True).click())
    expect(page.locator(".messagelist .success")).to_contain_text(keynote.title)
    assert [s.name for s in keynote.speakers.order_by("session_links__position")] == [
        "Ada Opener",
        "Zara Ahmed",
    ]

    public(page, f"/events/{event.slug}/speakers/zara-ahmed/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Zara Ahmed")
    expect(page.get_by_text(keynote.title)).to_be_visible()
    photo = page.locator("main img").first
    expect(photo).to_be_visible()
    assert photo.evaluate("(img) => img.complete && img.naturalWidth > 0")
    public(page, f"/events/{event.slug}/agenda/")
    speakers = page.locator(f"#session-{keynote.pk}")
    expect(speakers).to_contain_text(re.compile(r"Ada Opener.*Zara Ahmed", re.S))


def find_attendee(page: Page) -> None:
    follow(page, lambda: page.goto(reverse("admin:index")))
    follow(page, lambda: link(page, reverse("admin:tickets_ticket_changelist")).click())
    page.locator("#searchbar").fill("Okonkwo")
    follow(page, lambda: page.locator("#searchbar").press("Enter"))
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("Okonkwo")

    follow(page, lambda: page.goto(reverse("admin:tickets_order_changelist")))
    page.locator("#searchbar").fill("Nolan")
    follow(page, lambda: page.locator("#searchbar").press("Enter"))
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    follow(page, lambda: rows.first.locator("th a").click())
    expect(page.locator("#content")).to_contain_text("Beth")


def download_caterers_list(page: Page, event) -> None:
    follow(page, lambda: page.goto(reverse("admin:tickets_ticket_exports")))
    page.get_by_label("Event:", exact=True).select_option(label=event.name)
    page.get_by_role("radio", name=re.compile("Dietary and access needs")).check()
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download (CSV)").click()
    download = download_info.value
    assert download.suggested_filename.startswith(
        f"dietary-and-access-needs-{event.slug}-"
    )
    with open(download.path(), encoding="utf-8-sig", newline="") as file:
        rows = list(csv.reader(io.StringIO(file.read())))
    assert rows[0][:5] == [
        "Name",
        "Organisation",
        "Ticket type",
        "Dietary needs",
        "Access needs",
    ]
    needs = [row for row in rows[1:] if row]
    assert len(needs) == 1, needs  # Beth Nolan has no needs to list
    assert needs[0][:5] == [
        "Chidi Okonkwo",
        "Dudley Council",
        "Public sector",
        "Halal",
        "Step-free access to the main hall",
    ]


def test_organiser_tour(page: Page, organiser, event, programme):
    sign_in(page)
    add_sponsor(page, event)
    add_speaker(page, event, programme)
    find_attendee(page)
    download_caterers_list(page, event)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_organisers_other_admin_pages_are_accessible(
    page: Page, organiser, event, programme, scheme
):
    """The lists and forms the tour does not pass through, light and dark."""
    sponsor = Sponsor.objects.create(
        event=event, tier=SponsorTier.objects.get(), name="Brindleyplace Digital"
    )
    sponsor.logo.save("logo.png", ContentFile(png_bytes()))
    page.emulate_media(color_scheme=scheme)
    sign_in(page)
    tier = sponsor.tier
    order = programme.event.orders.get()
    for path in [
        reverse("admin:app_list", args=["sponsors"]),
        reverse("admin:sponsors_sponsortier_changelist"),
        reverse("admin:sponsors_sponsortier_add"),
        reverse("admin:sponsors_sponsortier_change", args=[tier.pk]),
        reverse("admin:sponsors_sponsor_change", args=[sponsor.pk]),
        reverse("admin:events_event_changelist"),
        reverse("admin:events_event_add"),
        reverse("admin:events_event_change", args=[event.pk]),
        reverse("admin:events_session_add"),
        reverse("admin:events_speaker_change", args=[programme.speakers.get().pk]),
        reverse("admin:tickets_order_change", args=[order.pk]),
        reverse("admin:tickets_ticket_change", args=[order.tickets.first().pk]),
    ]:
        follow(page, lambda path=path: page.goto(path))
        expect(page.get_by_role("heading", level=1)).to_be_visible()
