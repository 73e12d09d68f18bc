"""The organiser keeps sponsors, their payment and benefits in admin."""

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from sponsors.models import Sponsor, SponsorTier
from tests.tickets.test_codes import sponsor_places_book

from .test_logo import png


@pytest.fixture
def tiers(db):
    return (
        SponsorTier.objects.create(name="Headline", rank=1, free_places=4),
        SponsorTier.objects.create(name="Gold", rank=2, free_places=2),
    )


def test_the_list_is_sorted_by_tier_rank_then_position(admin_client, event, tiers):
    headline, gold = tiers
    Sponsor.objects.create(event=event, tier=gold, name="Aardvark", position=2)
    Sponsor.objects.create(event=event, tier=gold, name="Zebra", position=1)
    Sponsor.objects.create(event=event, tier=headline, name="Curium", position=9)
    page = admin_client.get(reverse("admin:sponsors_sponsor_changelist"))
    names = [s.name for s in page.context["cl"].result_list]
    assert names == ["Curium", "Zebra", "Aardvark"]


def test_positions_are_changed_from_the_list(admin_client, event, tiers):
    gold = tiers[1]
    first = Sponsor.objects.create(event=event, tier=gold, name="A", position=0)
    second = Sponsor.objects.create(event=event, tier=gold, name="B", position=1)
    data = {
        "form-TOTAL_FORMS": 2,
        "form-INITIAL_FORMS": 2,
        "form-0-id": first.pk,
        "form-0-position": 5,
        "form-0-is_visible": "on",
        "form-1-id": second.pk,
        "form-1-position": 0,
        "form-1-is_visible": "on",
        "_save": "Save",
    }
    response = admin_client.post(reverse("admin:sponsors_sponsor_changelist"), data)
    assert response.status_code == 302
    assert list(Sponsor.objects.values_list("name", flat=True)) == ["B", "A"]


def test_the_list_shows_the_benefits_checklist(
    admin_client, event, tiers, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    gold = tiers[1]
    with_logo = Sponsor.objects.create(
        event=event, tier=gold, name="Curium", is_invoiced=True
    )
    code = sponsor_places_book(with_logo, 1)
    with_logo.logo.save("curium.png", ContentFile(png()))
    Sponsor.objects.create(event=event, tier=gold, name="Brindley")
    page = admin_client.get(reverse("admin:sponsors_sponsor_changelist"))
    html = page.content.decode()
    assert "1 of 2" in html and "0 of 2" in html
    assert html.count('alt="True"') >= 2  # logo received, invoiced
    change = admin_client.get(
        reverse("admin:sponsors_sponsor_change", args=[with_logo.pk])
    ).content.decode()
    assert code.code in change and "1 of 2 places used" in change


def test_staff_find_a_sponsor_by_contact(admin_client, event, tiers):
    Sponsor.objects.create(
        event=event,
        tier=tiers[0],
        name="Curium",
        contact_name="Priya Shah",
        contact_email="priya@curium.example",
    )
    page = admin_client.get(
        reverse("admin:sponsors_sponsor_changelist"), {"q": "priya@"}
    )
    assert [s.name for s in page.context["cl"].result_list] == ["Curium"]
