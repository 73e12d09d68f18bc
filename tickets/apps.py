from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = "Tickets and orders"

    def ready(self):
        from events.extensions import register_event_context

        from . import checks  # noqa: F401 - registers
        from .selectors import event_page_context

        register_event_context(event_page_context)
