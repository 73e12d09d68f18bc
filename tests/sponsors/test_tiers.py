"""Sponsor tiers: rank, colour, benefits and free places."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.urls import reverse

from sponsors.colours import contrast_ratio, text_colour_on
from sponsors.models import Sponsor, SponsorTier


@pytest.mark.parametrize(
    "background",
    ["#000000", "#ffffff", "#2f1a5c", "#f47738", "#fd0000", "#777777", "#1d70b8"]
    + [f"#{v:02x}{v:02x}{v:02x}" for v in range(0, 256, 5)],
)
def test_text_on_a_tier_colour_always_reaches_aa_contrast(background):
    """Whatever colour the organiser picks, its label text is readable (4.5:1)."""
    assert contrast_ratio(text_colour_on(background), background) >= 4.5


def test_dark_tiers_get_white_text_and_light_tiers_dark_text():
    assert text_colour_on("#2f1a5c") == "#ffffff"
    assert text_colour_on("#ffdd00") == "#0b0c0c"


def test_the_tier_chooses_its_own_text_colour(db):
    tier = SponsorTier.objects.create(name="Gold", rank=2, colour="#ffbf47")
    assert tier.text_colour == "#0b0c0c"


@pytest.mark.parametrize("colour", ["red", "#fff", "#12345g", "#1234567"])
def test_a_colour_that_is_not_six_hex_digits_is_refused(db, colour):
    tier = SponsorTier(name="Gold", rank=2, colour=colour)
    with pytest.raises(ValidationError, match="six hex digits"):
        tier.full_clean()


def test_the_database_refuses_a_bad_colour_too(db):
    with pytest.raises(IntegrityError):
        SponsorTier.objects.create(name="Gold", colour="#zzzzzz")


def test_benefits_are_one_a_line(db):
    tier = SponsorTier(name="Gold", benefits="Logo on the site\n\n  Two places \n")
    assert tier.benefit_lines() == ["Logo on the site", "Two places"]


def test_the_public_pages_label_each_tier_in_its_colour(client, event):
    tier = SponsorTier.objects.create(name="Headline", rank=1, colour="#2f1a5c")
    Sponsor.objects.create(event=event, tier=tier, name="Curium Solutions")
    for url in (f"/events/{event.slug}/sponsors/", event.get_absolute_url()):
        page = client.get(url).content.decode()
        assert '<link rel="stylesheet" href="/sponsors/tiers.css">' in page
        assert f'<span class="psdm-tier psdm-tier--{tier.pk}">Headline</span>' in page
    css = client.get("/sponsors/tiers.css")
    assert css["Content-Type"] == "text/css"
    rule = f".psdm-tier--{tier.pk}{{background-color:#2f1a5c;color:#ffffff}}"
    assert rule in css.content.decode()


def test_the_organiser_sets_colour_and_free_places_in_admin(admin_client, db):
    response = admin_client.post(
        reverse("admin:sponsors_sponsortier_add"),
        {
            "name": "Gold",
            "rank": 2,
            "colour": "#ffbf47",
            "free_places": 3,
            "benefits": "Logo on the event page",
        },
    )
    assert response.status_code == 302
    tier = SponsorTier.objects.get(name="Gold")
    assert (tier.colour, tier.free_places) == ("#ffbf47", 3)
    changelist = admin_client.get(reverse("admin:sponsors_sponsortier_changelist"))
    assert b'type="color"' not in changelist.content  # a swatch, not a picker
    assert b"#ffbf47" in changelist.content
    add_page = admin_client.get(reverse("admin:sponsors_sponsortier_add"))
    assert b'type="color"' in add_page.content
