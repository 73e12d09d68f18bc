"""Demo data for codes (called by tickets.demo.seed_demo): the hidden ticket
types for speakers, sponsors, organisers and volunteers, each sponsor's and
speaker's free-place code, one discount code, and the sponsors' free places
already claimed, booked with their codes. Running it twice changes nothing.
"""

from events.models import Event
from sponsors.models import Sponsor

from .models import BadgeRole, Code, Ticket, TicketType
from .services import AttendeeDetails, OrderLine, SoldOut, order_create
from .services.codes import speaker_code_create, sponsor_code_create
from .services.outbox import emails_silenced

HIDDEN_TYPES = [
    ("Speaker", BadgeRole.SPEAKER, "Speakers and panel members, with their code."),
    ("Sponsor", BadgeRole.SPONSOR, "Sponsors' free places, with their code."),
    ("Organiser", BadgeRole.ORGANISER, "The organising team."),
    ("Volunteer", BadgeRole.STAFF, "Volunteers on the door and in the rooms."),
]
DISCOUNT_CODE = "SUPPLIER-EARLY"
GUESTS = [
    ("Sam", "Patel"),
    ("Alex", "Morgan"),
    ("Jo", "Clarke"),
    ("Chris", "Nowak"),
    ("Ravi", "Kaur"),
    ("Megan", "Hughes"),
]


def demo_codes_make(event: Event) -> None:
    """Hidden ticket types and the codes that unlock them, plus a discount."""
    for offset, (name, role, description) in enumerate(HIDDEN_TYPES):
        TicketType.objects.update_or_create(
            event=event,
            name=name,
            defaults={
                "description": description,
                "price_pence": 0,
                "max_per_order": 10,
                "position": 10 + offset,
                "is_visible": False,
                "badge_role": role,
            },
        )
    for sponsor in Sponsor.objects.filter(event=event).select_related("tier"):
        sponsor_code_create(sponsor=sponsor)
    for speaker in event.speakers.all():
        speaker_code_create(speaker=speaker)
    supplier = TicketType.objects.filter(
        event=event, name="Supplier or training provider"
    ).first()
    code, created = Code.objects.get_or_create(
        event=event,
        code=DISCOUNT_CODE,
        defaults={
            "kind": Code.Kind.DISCOUNT,
            "description": "Demo: 20% off supplier places, until the event",
            "discount_type": Code.DiscountType.PERCENT,
            "discount_percent": 20,
            "max_uses": 20,
            "valid_until": event.starts_at,
        },
    )
    if created and supplier is not None:
        code.ticket_types.set([supplier])


def demo_sponsor_places_book(event: Event, claimed: dict[str, int]) -> int:
    """Book each sponsor's places claimed so far (sponsor name -> places)
    with its code, as its contact would; return how many were booked now."""
    booked = 0
    for sponsor in Sponsor.objects.filter(event=event, name__in=list(claimed)):
        code = sponsor.codes.filter(kind=Code.Kind.SPONSOR).first()
        if code is None:
            continue
        live = (
            Ticket.objects.filter(code=code)
            .exclude(status=Ticket.Status.CANCELLED)
            .count()
        )
        wanted = min(claimed[sponsor.name], code.max_uses, len(GUESTS)) - live
        ticket_type = code.ticket_types.first()
        if wanted <= 0 or ticket_type is None:
            continue
        lines = [
            OrderLine(
                ticket_type_id=ticket_type.pk,
                attendee=AttendeeDetails(
                    first_name=first,
                    last_name=last,
                    email=f"{first}.{last}@{sponsor.pk}.example.com".lower(),
                    organisation=sponsor.name,
                    sector="supplier",
                ),
            )
            for first, last in GUESTS[live : live + wanted]
        ]
        try:
            with emails_silenced():
                order_create(
                    event_id=event.pk,
                    buyer_name=sponsor.contact_name or sponsor.name,
                    buyer_email=sponsor.contact_email or "sponsor@example.com",
                    lines=lines,
                    code=code.code,
                )
        except SoldOut:
            break
        booked += wanted
    return booked
