from django.apps import AppConfig


class SponsorsConfig(AppConfig):
    name = "sponsors"
    verbose_name = "Sponsors"

    def ready(self):
        from events.extensions import register_event_context

        from .selectors import event_page_context

        register_event_context(event_page_context)
