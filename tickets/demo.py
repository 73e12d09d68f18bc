"""Demo data from shared/EVENT.md: the launch event and everything on its page.

It lives in tickets because it books places through tickets.services and so
depends on every app; events never imports it. The launch was on
27 September 2018; the demo puts it on the next 27 September so it can be
booked. Every record is found by a natural key, so running it twice changes
nothing.
"""

import io
import random
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont

from events.models import Event, Session, SessionSpeaker, Speaker
from sponsors.models import Sponsor, SponsorTier
from sponsors.services import sponsor_logo_renditions_make

from .demo_codes import demo_codes_make, demo_sponsor_places_book
from .models import BadgeRole, TicketType
from .roles import DOOR_STAFF_GROUP, ORGANISER_GROUP
from .services import AttendeeDetails, OrderLine, SoldOut, order_create
from .services.outbox import emails_silenced

LONDON = ZoneInfo("Europe/London")
LAUNCH_SLUG = "psdm-launch"


@dataclass
class SeedReport:
    event_url: str
    capacity: int
    places_taken: int
    booked_now: int
    logins: list[str] = field(default_factory=list)


def next_launch_day(today: date | None = None) -> date:
    """Return the next 27 September on or after today."""
    today = today or timezone.localdate()
    day = date(today.year, 9, 27)
    return day if day >= today else date(today.year + 1, 9, 27)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=LONDON)


def seed_demo(*, sold: int = 0, today: date | None = None) -> SeedReport:
    day = next_launch_day(today)
    with transaction.atomic():
        event = _launch_event(day)
        _ticket_types(event)
        speakers = _speakers(event)
        _agenda(event, day, speakers)
        _sponsors(event)
        demo_codes_make(event)
        _follow_up_event(day)
        logins = _users()
    # The sponsors' free places claimed so far, booked with their codes.
    claimed = {row[1]: row[-1] for row in SPONSORS}
    booked_now = demo_sponsor_places_book(event, claimed)
    booked_now += _book_until(event, sold)
    event.refresh_from_db()
    return SeedReport(
        event_url=f"http://127.0.0.1:8000{event.get_absolute_url()}",
        capacity=event.capacity,
        places_taken=event.places_taken,
        booked_now=booked_now,
        logins=logins,
    )


def _launch_event(day: date) -> Event:
    event, _ = Event.objects.update_or_create(
        slug=LAUNCH_SLUG,
        defaults={
            "name": "Public Sector Digital Midlands: launch event",
            "summary": (
                "A one-day conference that launches a network joining up public "
                "sector digital teams across the Midlands with the suppliers who "
                "work with them and the training providers who skill them up."
            ),
            "description": (
                "Central government, local authorities, the NHS, police and "
                "education all run digital teams in the Midlands. This is the day "
                "they meet, together with the suppliers who work with them and the "
                "training providers who skill them up.\n\n"
                "Hosted by the Office of the Public Guardian, whose digital teams "
                "work in Birmingham and Nottingham."
            ),
            "aims": (
                "Celebrate the public sector digital work already happening in the "
                "Midlands\n"
                "Agree an action plan for teams to support each other across the "
                "region\n"
                "Make the Midlands a destination for public sector digital teams, "
                "their suppliers and training providers"
            ),
            "starts_at": _at(day, 9, 0),
            "ends_at": _at(day, 17, 0),
            "venue_name": "Millennium Point",
            "venue_address": "Curzon Street\nBirmingham\nB4 7XG",
            "capacity": 250,
            "few_places_threshold": 20,
            "sales_open_at": None,
            "sales_close_at": _at(day - timedelta(days=1), 17, 0),
            "is_published": True,
            "changes_deadline": _at(day - timedelta(days=3), 17, 0),
            "cancellation_deadline": _at(day - timedelta(days=7), 17, 0),
            "invoice_payment_enabled": True,
            "invoice_payment_until": _at(day - timedelta(days=14), 17, 0),
            "vat_rate_percent": 20,
            "vat_number": "GB 000 0000 00 (demo)",
            "invoice_issuer": (
                "Public Sector Digital Midlands (demo)\n"
                "Millennium Point\nCurzon Street\nBirmingham B4 7XG"
            ),
            "invoice_payment_details": (
                "Pay by bank transfer within 30 days.\n"
                "Account name: Public Sector Digital Midlands\n"
                "Sort code: 00-00-00  Account number: 00000000 (demo)"
            ),
        },
    )
    return event


def _ticket_types(event: Event) -> None:
    rows = [
        (
            "Public sector",
            "For people who work in central or local government, the NHS, "
            "police, fire and other public bodies.",
            0,
            None,
            5,
        ),
        (
            "Student",
            "For students at colleges and universities in the Midlands.",
            0,
            30,
            2,
        ),
        (
            "Supplier or training provider",
            "For people from companies that work with the public sector. "
            "Price includes VAT.",
            9500,
            40,
            4,
        ),
    ]
    for position, (name, description, price, quota, most) in enumerate(rows):
        TicketType.objects.update_or_create(
            event=event,
            name=name,
            defaults={
                "description": description,
                "price_pence": price,
                "quota": quota,
                "max_per_order": most,
                "position": position,
                "is_visible": True,
                "badge_role": BadgeRole.STUDENT
                if name == "Student"
                else BadgeRole.ATTENDEE,
            },
        )


SPEAKERS = [
    (
        "andy-street",
        "Andy Street",
        "Mayor of the West Midlands",
        "West Midlands Combined Authority",
        "Andy Street is the Mayor of the West Midlands.",
    ),
    (
        "kevin-cunnington",
        "Kevin Cunnington",
        "Director General",
        "Government Digital Service (GDS)",
        "Kevin Cunnington leads the Government Digital Service.",
    ),
    (
        "paul-maltby",
        "Paul Maltby",
        "Chief Digital Officer",
        "Ministry of Housing, Communities and Local Government (MHCLG)",
        "Paul Maltby leads digital work at MHCLG, including local digital.",
    ),
]


def _speakers(event: Event) -> dict[str, Speaker]:
    speakers = {}
    for position, (slug, name, role, organisation, bio) in enumerate(SPEAKERS):
        speakers[slug], _ = Speaker.objects.update_or_create(
            event=event,
            slug=slug,
            defaults={
                "name": name,
                "role": role,
                "organisation": organisation,
                "bio": bio,
                "position": position,
            },
        )
    return speakers


def _agenda(event: Event, day: date, speakers: dict[str, Speaker]) -> None:
    rows = [
        ((8, 30), (9, 15), "Registration and coffee", "", "Foyer", []),
        (
            (9, 15),
            (9, 30),
            "Welcome from the Office of the Public Guardian",
            "Why the Midlands needs a public sector digital network.",
            "Main hall",
            [],
        ),
        (
            (9, 30),
            (10, 10),
            "A digital West Midlands",
            "The region's ambitions for digital public services.",
            "Main hall",
            ["andy-street"],
        ),
        (
            (10, 10),
            (10, 50),
            "Government as a platform, beyond London",
            "What GDS is doing with teams outside the capital.",
            "Main hall",
            ["kevin-cunnington"],
        ),
        ((10, 50), (11, 15), "Break", "", "Foyer", []),
        (
            (11, 15),
            (11, 55),
            "Local digital: fixing the plumbing together",
            "How councils and central government can share what works.",
            "Main hall",
            ["paul-maltby"],
        ),
        (
            (11, 55),
            (12, 45),
            "Panel: what we are already doing in the Midlands",
            "Teams from central government, local authorities, the NHS and "
            "police show their work.",
            "Main hall",
            [],
        ),
        ((12, 45), (13, 45), "Lunch and supplier marketplace", "", "Foyer", []),
        (
            (13, 45),
            (15, 0),
            "Workshops: agreeing an action plan",
            "Small groups agree how teams across the region will support each other.",
            "Rooms A, B and C",
            [],
        ),
        (
            (15, 15),
            (16, 15),
            "Announcements and the regional blueprint",
            "A regional blueprint, a GDS Academy pop-up in Birmingham and a new "
            "HMCTS digital hub.",
            "Main hall",
            ["kevin-cunnington", "andy-street"],
        ),
        ((16, 15), (17, 0), "Networking", "", "Foyer", []),
    ]
    for start, end, title, description, room, slugs in rows:
        session, _ = Session.objects.update_or_create(
            event=event,
            title=title,
            defaults={
                "description": description,
                "starts_at": _at(day, *start),
                "ends_at": _at(day, *end),
                "room": room,
            },
        )
        # Speakers in the order listed (SessionSpeaker.position 1, 2, ...).
        for number, slug in enumerate(slugs, start=1):
            SessionSpeaker.objects.update_or_create(
                session=session,
                speaker=speakers[slug],
                defaults={"position": number},
            )
        session.speaker_links.exclude(speaker__slug__in=slugs).delete()


# Tier: (rank, label colour, free places, benefits). Distinct colours whose
# label text (sponsors.colours.text_colour_on) reaches WCAG AA contrast.
SPONSOR_TIERS = {
    "Headline": (
        1,
        "#2f1a5c",
        4,
        "Logo first on the event page and badges\nA welcome slot on stage\n"
        "Exhibition stand",
    ),
    "Gold": (2, "#f0c43f", 2, "Logo on the event page and badges\nExhibition stand"),
    "Silver": (3, "#b1b4b6", 1, "Logo on the event page"),
    "Supporter": (4, "#00703c", 0, "Name on the event page"),
}

# (tier, name, logo colour, description, contact name, invoiced, paid,
# free places claimed). Contacts are made up, at example.com.
SPONSORS = [
    (
        "Headline",
        "Curium Solutions",
        "#1d4f91",
        "Digital and technology consultancy.",
        "Priya Sharma",
        True,
        True,
        2,
    ),
    (
        "Gold",
        "Brindleyplace Digital",
        "#00665e",
        "User research and service design.",
        "Tom Hughes",
        True,
        False,
        0,
    ),
    (
        "Silver",
        "Black Country Data Co-op",
        "#6f2c91",
        "Open data and analytics.",
        "Grace Adeyemi",
        False,
        False,
        1,
    ),
    (
        "Supporter",
        "Canalside Training",
        "#8a3b12",
        "Agile and digital skills training.",
        "Owen Davies",
        False,
        False,
        0,
    ),
]


def _sponsors(event: Event) -> None:
    tiers = {}
    for tier_name, (rank, colour, free_places, benefits) in SPONSOR_TIERS.items():
        tiers[tier_name], _ = SponsorTier.objects.update_or_create(
            name=tier_name,
            defaults={
                "rank": rank,
                "colour": colour,
                "free_places": free_places,
                "benefits": benefits,
            },
        )
    for position, row in enumerate(SPONSORS):
        # The last column, places claimed, is booked with codes (demo_codes).
        tier_name, name, colour, description, contact, invoiced, paid = row[:7]
        sponsor, created = Sponsor.objects.update_or_create(
            event=event,
            name=name,
            defaults={
                "tier": tiers[tier_name],
                "description": description,
                "position": position,
                "website": "",
                "is_visible": True,
                "contact_name": contact,
                "contact_email": (
                    contact.split()[0].lower()
                    + "@"
                    + name.lower().replace(" ", "")
                    + ".example.com"
                ),
                "is_invoiced": invoiced,
                "is_paid": paid,
            },
        )
        if created or not sponsor.logo:
            slug = name.lower().replace(" ", "-")
            sponsor.logo.save(
                f"{slug}.png", ContentFile(placeholder_logo(name, colour))
            )
        sponsor_logo_renditions_make(sponsor_id=sponsor.pk)


def placeholder_logo(name: str, colour: str) -> bytes:
    """Draw a plain wordmark logo: the sponsor's name in white on its colour."""
    image = Image.new("RGB", (480, 200), colour)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=36)
    words = name.split()
    lines = [
        " ".join(words[: (len(words) + 1) // 2]),
        " ".join(words[(len(words) + 1) // 2 :]),
    ]
    lines = [line for line in lines if line]
    y = 100 - 24 * len(lines)
    for line in lines:
        width = draw.textlength(line, font=font)
        draw.text(((480 - width) / 2, y), line, fill="white", font=font)
        y += 48
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _follow_up_event(launch_day: date) -> None:
    day = date(launch_day.year + 1, 1, 24)
    event, _ = Event.objects.update_or_create(
        slug="oneteamgov-midlands",
        defaults={
            "name": "OneTeamGov Midlands",
            "summary": (
                "An unconference for anyone working to make public services "
                "better, following on from the launch of Public Sector Digital "
                "Midlands."
            ),
            "description": "Bring a topic, or just come and join in.",
            "aims": "",
            "starts_at": _at(day, 9, 30),
            "ends_at": _at(day, 16, 30),
            "venue_name": "The Council House",
            "venue_address": "Victoria Square\nBirmingham\nB1 1BB",
            "capacity": 120,
            "is_published": True,
        },
    )
    TicketType.objects.update_or_create(
        event=event,
        name="Attendee",
        defaults={
            "description": "Open to everyone.",
            "price_pence": 0,
            "max_per_order": 4,
        },
    )


def _users() -> list[str]:
    User = get_user_model()
    door_group, _ = Group.objects.get_or_create(name=DOOR_STAFF_GROUP)
    door_group.permissions.add(
        Permission.objects.get(content_type__app_label="tickets", codename="check_in")
    )
    organiser_group, _ = Group.objects.get_or_create(name=ORGANISER_GROUP)
    logins = []
    for username, password, is_superuser in (
        ("organiser", "psdm-organiser-local", True),
        ("door", "psdm-door-local", False),
    ):
        user, created = User.objects.get_or_create(
            username=username, defaults={"email": f"{username}@psdm.localhost"}
        )
        user.is_staff = is_superuser
        user.is_superuser = is_superuser
        if created or settings.DEBUG:
            # Known passwords only ever on a local (DEBUG) site.
            user.set_password(password if settings.DEBUG else secrets.token_urlsafe(24))
        user.save()
        user.groups.add(organiser_group if is_superuser else door_group)
        shown = password if settings.DEBUG else "(random: set one with changepassword)"
        logins.append(f"{username} / {shown}")
    return logins


FIRST_NAMES = [
    "Amira",
    "Ben",
    "Chloe",
    "Dev",
    "Eilidh",
    "Farah",
    "Gareth",
    "Harpreet",
    "Imran",
    "Jess",
    "Kwame",
    "Laura",
    "Mohammed",
    "Niamh",
    "Olu",
    "Priya",
    "Rhys",
    "Sana",
    "Tom",
    "Uma",
    "Vikram",
    "Wendy",
    "Yusuf",
    "Zoe",
]
LAST_NAMES = [
    "Ahmed",
    "Barnes",
    "Chowdhury",
    "Davies",
    "Evans",
    "Fletcher",
    "Green",
    "Hussain",
    "Iqbal",
    "Jones",
    "Khan",
    "Lewis",
    "Mistry",
    "Nowak",
    "O'Connor",
    "Patel",
    "Quinn",
    "Roberts",
    "Singh",
    "Taylor",
    "Walker",
    "Young",
]
ORGANISATIONS = [
    ("Office of the Public Guardian", "central_government"),
    ("HM Courts & Tribunals Service", "central_government"),
    ("DVSA", "central_government"),
    ("Birmingham City Council", "local_government"),
    ("Coventry City Council", "local_government"),
    ("Nottinghamshire County Council", "local_government"),
    ("Sandwell and West Birmingham NHS Trust", "nhs_health"),
    ("NHS Digital", "nhs_health"),
    ("West Midlands Police", "police_emergency"),
    ("West Midlands Fire Service", "police_emergency"),
    ("University of Wolverhampton", "education"),
]
JOB_TITLES = [
    "Delivery manager",
    "User researcher",
    "Product manager",
    "Developer",
    "Service designer",
    "Content designer",
    "Head of Digital",
    "Data analyst",
]


def _book_until(event: Event, target: int) -> int:
    """Book plausible public sector attendees until `target` places are taken."""
    public = TicketType.objects.get(event=event, name="Public sector")
    rng = random.Random(2018)
    booked = 0
    event.refresh_from_db()
    while event.places_taken < min(target, event.capacity):
        size = min(rng.choice([1, 1, 1, 2, 3]), target - event.places_taken)
        organisation, sector = rng.choice(ORGANISATIONS)
        lines = []
        for _ in range(size):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            email = f"{first}.{last}.{rng.randrange(10**6)}@example.gov.uk".lower()
            lines.append(
                OrderLine(
                    ticket_type_id=public.pk,
                    attendee=AttendeeDetails(
                        first_name=first,
                        last_name=last,
                        email=email.replace("'", ""),
                        organisation=organisation,
                        sector=sector,
                        job_title=rng.choice(JOB_TITLES),
                    ),
                )
            )
        buyer = lines[0].attendee
        try:
            with emails_silenced():
                order_create(
                    event_id=event.pk,
                    buyer_name=f"{buyer.first_name} {buyer.last_name}",
                    buyer_email=buyer.email,
                    lines=lines,
                )
        except SoldOut:
            break
        booked += size
        event.refresh_from_db()
    return booked
