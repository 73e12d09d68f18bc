"""Prove the local default works: migrate, seed and book on a SQLite file.

Run by .ci/run in a fresh clone with nothing set: no DATABASE_URL, so the
site's own SQLite file is used exactly as `scripts/run.sh` would use it.
"""

import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "psdm.settings.base")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402

from tickets.models import Order, TicketType  # noqa: E402


def main() -> None:
    database = settings.DATABASES["default"]
    assert database["ENGINE"].endswith("sqlite3"), "expected the SQLite default"
    call_command("migrate", "--no-input", verbosity=0)
    call_command("seed_demo", "--sold", "10")
    call_command("seed_demo", "--sold", "10")

    client = Client(HTTP_HOST="127.0.0.1")
    slug = "psdm-launch"
    public = TicketType.objects.get(event__slug=slug, name="Public sector")
    assert client.get(f"/events/{slug}/").status_code == 200
    steps = [
        (f"/events/{slug}/book/", {f"qty_{public.pk}": 1}),
        (
            # One place, booked for oneself: the attendee is the buyer.
            f"/events/{slug}/book/your-details/",
            {
                "first_name": "Smoke",
                "last_name": "Test",
                "email": "smoke@example.gov.uk",
                "organisation": "CI",
                "sector": "other",
            },
        ),
        (f"/events/{slug}/book/check/", {}),
    ]
    for path, data in steps:
        response = client.post(path, data)
        assert response.status_code == 302, (path, response.status_code)
    reference = response["Location"].rstrip("/").rsplit("/", 1)[-1]
    assert re.fullmatch(r"PSDM-[2-9A-Z]{5}", reference), reference
    assert Order.objects.filter(reference=reference).exists()
    journal = database["NAME"]
    print(f"SQLite default OK: {journal} migrated, seeded twice, booked {reference}")


if __name__ == "__main__":
    main()
