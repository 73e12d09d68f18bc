from django.apps import AppConfig
from django.db.models.signals import post_migrate


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = "Tickets and orders"

    def ready(self):
        from events.extensions import register_event_context

        from . import checks  # noqa: F401 - registers
        from .roles import organiser_group_sync_after_migrate
        from .selectors import event_page_context

        register_event_context(event_page_context)
        post_migrate.connect(
            organiser_group_sync_after_migrate,
            dispatch_uid="tickets.roles.organiser_group_sync",
        )
