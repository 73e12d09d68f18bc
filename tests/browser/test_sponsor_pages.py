"""Sponsors by tier on the public pages, in Chromium, checked with axe."""

import pytest
from django.core.files.base import ContentFile
from playwright.sync_api import Page, expect

from sponsors.models import Sponsor, SponsorTier
from sponsors.services import sponsor_logo_renditions_make

from .conftest import png_bytes, visit

pytestmark = pytest.mark.browser


@pytest.fixture
def sponsored_event(event, media):
    tiers = [
        SponsorTier.objects.create(name=name, rank=rank, colour=colour)
        for name, rank, colour in [
            ("Headline", 1, "#2f1a5c"),
            ("Gold", 2, "#ffbf47"),
            ("Supporter", 3, "#808080"),  # mid-grey: the hardest to label
        ]
    ]
    for n, tier in enumerate(tiers):
        sponsor = Sponsor.objects.create(
            event=event,
            tier=tier,
            name=f"{tier.name} Sponsor Ltd",
            website=f"https://sponsor{n}.example/",
            description="Digital services for the public sector.",
        )
        sponsor.logo.save(f"logo{n}.png", ContentFile(png_bytes((1200, 600))))
        sponsor_logo_renditions_make(sponsor_id=sponsor.pk)
    return event


@pytest.mark.parametrize("path", ["/events/{slug}/sponsors/", "/events/{slug}/"])
def test_sponsors_by_tier_with_web_logos(page: Page, sponsored_event, path):
    visit(page, path.format(slug=sponsored_event.slug))  # axe runs here
    main = page.get_by_role("main")
    for name in ["Headline", "Gold", "Supporter"]:
        expect(main.get_by_role("heading", name=name)).to_be_visible()
    logo = main.get_by_role("img", name="Headline Sponsor Ltd")
    expect(logo).to_have_attribute("src", "/media/sponsors/logo0-web.png")
    assert logo.evaluate("(img) => [img.naturalWidth, img.naturalHeight]") == [
        400,
        200,
    ]
    link = main.get_by_role("link", name="Gold Sponsor Ltd")
    expect(link).to_have_attribute("href", "https://sponsor1.example/")
    expect(link).to_have_attribute("rel", "noopener")
