"""Anonymise the personal data of events that ended more than
PSDM_RETENTION_DAYS ago (Celery beat also does this daily)."""

from django.conf import settings
from django.core.management.base import BaseCommand

from tickets.services.retention import personal_data_anonymise_due


class Command(BaseCommand):
    help = (
        "Remove buyers' and attendees' personal data from events that ended "
        "more than PSDM_RETENTION_DAYS days ago, keeping the counts."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Say what would be anonymised and change nothing.",
        )

    def handle(self, *args, dry_run=False, **options):
        days = settings.PSDM_RETENTION_DAYS
        if days <= 0:
            self.stdout.write("PSDM_RETENTION_DAYS is 0: anonymising is off.")
            return
        plans = personal_data_anonymise_due(dry_run=dry_run)
        verb = "Would anonymise" if dry_run else "Anonymised"
        for plan in plans:
            self.stdout.write(
                f"{verb} {plan.event.name} ({plan.event.slug}, ended "
                f"{plan.event.ends_at:%Y-%m-%d}): {plan.orders} orders, "
                f"{plan.tickets} places, {plan.emails} e-mails."
            )
        if not plans:
            self.stdout.write(f"No event ended more than {days} days ago is left.")
        elif dry_run:
            self.stdout.write("Dry run: nothing was changed.")
