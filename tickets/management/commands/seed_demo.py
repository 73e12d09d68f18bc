"""Load the Public Sector Digital Midlands demo data (safe to run again)."""

from django.core.management.base import BaseCommand, CommandError

from tickets.demo import seed_demo


class Command(BaseCommand):
    help = (
        "Create the Public Sector Digital Midlands launch event with ticket types, "
        "speakers, agenda, sponsors and log-ins. Running it again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--sold",
            type=int,
            default=0,
            metavar="N",
            help="Book places for plausible attendees until N places are taken.",
        )

    def handle(self, *args, sold: int, **options):
        if sold < 0:
            raise CommandError("--sold must be 0 or more.")
        report = seed_demo(sold=sold)
        self.stdout.write(self.style.SUCCESS(f"Demo event ready: {report.event_url}"))
        self.stdout.write(
            f"Places: {report.places_taken} of {report.capacity} taken "
            f"({report.booked_now} booked just now)."
        )
        self.stdout.write("Local log-ins (development only):")
        for login in report.logins:
            self.stdout.write(f"  {login}")
