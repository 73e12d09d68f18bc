"""The sponsors page and the event page show sponsors by tier, top first."""

import pytest
from django.core.files.base import ContentFile

from sponsors.models import Sponsor, SponsorTier
from sponsors.services import sponsor_logo_renditions_make

from .test_logo import png


@pytest.fixture
def sponsors(event, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    supporter = SponsorTier.objects.create(name="Supporter", rank=3)
    headline = SponsorTier.objects.create(name="Headline", rank=1, colour="#ffdd00")
    curium = Sponsor.objects.create(
        event=event,
        tier=headline,
        name="Curium Solutions",
        website="https://curium.example/",
    )
    curium.logo.save("curium.png", ContentFile(png((1200, 600))))
    sponsor_logo_renditions_make(sponsor_id=curium.pk)
    Sponsor.objects.create(event=event, tier=supporter, name="Zed", position=0)
    Sponsor.objects.create(event=event, tier=supporter, name="Able", position=1)
    curium.refresh_from_db()
    return curium


@pytest.mark.parametrize("where", ["sponsors", "event"])
def test_sponsors_appear_by_tier_rank_then_position(client, event, sponsors, where):
    url = event.get_absolute_url() if where == "event" else sponsors_url(event)
    page = client.get(url).content.decode()
    order = ["Headline", "Curium Solutions", "Supporter", "Zed", "Able"]
    positions = [page.index(text) for text in order]
    assert positions == sorted(positions)


@pytest.mark.parametrize("where", ["sponsors", "event"])
def test_logos_are_the_web_size_named_and_linked(client, event, sponsors, where):
    url = event.get_absolute_url() if where == "event" else sponsors_url(event)
    page = client.get(url).content.decode()
    assert f'src="{sponsors.logo_web.url}" alt="Curium Solutions"' in page
    assert sponsors.logo.url not in page  # never the full-size original
    assert '<a class="govuk-link" href="https://curium.example/" rel="noopener">' in (
        page
    )
    assert "psdm-tier psdm-tier--" in page and "style=" not in page
    css = client.get("/sponsors/tiers.css").content.decode()
    assert "background-color:#ffdd00;color:#0b0c0c" in css


def sponsors_url(event) -> str:
    return f"/events/{event.slug}/sponsors/"
