"""The demo seed shows codes off: hidden ticket types, sponsors' and
speakers' codes, a discount code and sponsors' places claimed with codes."""

from django.core.management import call_command

from sponsors.models import Sponsor
from tickets.demo_codes import DISCOUNT_CODE, HIDDEN_TYPES
from tickets.models import Code, Ticket, TicketType
from tickets.services.codes import code_find, sponsor_places_claimed


def test_the_demo_has_codes_and_runs_twice(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", "--sold", "40", stdout=None)
    counts = (Code.objects.count(), Ticket.objects.count())
    call_command("seed_demo", "--sold", "40", stdout=None)
    assert (Code.objects.count(), Ticket.objects.count()) == counts

    hidden = TicketType.objects.filter(event__slug="psdm-launch", is_visible=False)
    assert {tt.name for tt in hidden} == {name for name, _role, _d in HIDDEN_TYPES}
    sponsors = list(Sponsor.objects.filter(event__slug="psdm-launch"))
    with_places = [s for s in sponsors if s.tier.free_places]
    assert with_places
    assert all(s.codes.filter(kind=Code.Kind.SPONSOR).exists() for s in with_places)
    claimed = sponsor_places_claimed(sponsor_ids=[s.pk for s in sponsors])
    curium = next(s for s in sponsors if s.name == "Curium Solutions")
    assert claimed[curium.pk] == 2  # of its tier's 4
    code = curium.codes.get()
    assert code.uses == 2 and code.max_uses == curium.tier.free_places

    launch = curium.event
    assert Code.objects.filter(event=launch, kind=Code.Kind.SPEAKER).count() == 3
    discount = code_find(event=launch, text=DISCOUNT_CODE.lower())
    assert discount.discount_percent == 20
    launch.refresh_from_db()
    assert launch.places_taken == 40  # sponsors' places count in the pool
