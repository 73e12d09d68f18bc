from django.apps import AppConfig
from django.conf import settings
from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import post_delete, post_migrate, post_save


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = "Tickets and orders"

    def ready(self):
        from events.extensions import register_event_context, register_places_added

        from . import checks  # noqa: F401 - registers
        from .roles import organiser_group_sync_after_migrate
        from .selectors import event_page_context
        from .services import door_devices
        from .services.checkin import door_event_forget
        from .services.waitlist import offers_make
        from .views.checkin import page_device_revoke

        register_event_context(event_page_context)
        # More capacity saved in admin: offer the new places to the waiting list.
        register_places_added(offers_make)
        for signal in (post_save, post_delete):
            signal.connect(
                door_event_forget,
                sender="events.Event",
                dispatch_uid=f"tickets.checkin.door_event_forget.{signal is post_save}",
            )
        for signal in (post_save, post_delete):
            signal.connect(
                door_devices.device_forget,
                sender="tickets.DoorDevice",
                dispatch_uid=f"tickets.door_devices.forget.{signal is post_save}",
            )
        post_save.connect(
            door_devices.user_devices_forget,
            sender=settings.AUTH_USER_MODEL,
            dispatch_uid="tickets.door_devices.user_forget",
        )
        user_logged_out.connect(
            page_device_revoke, dispatch_uid="tickets.checkin.page_device_revoke"
        )
        post_migrate.connect(
            organiser_group_sync_after_migrate,
            dispatch_uid="tickets.roles.organiser_group_sync",
        )
