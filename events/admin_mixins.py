"""Admin helpers for models whose counters only services may change."""

from django.contrib import messages
from django.db import IntegrityError
from django.http import HttpResponseRedirect


class CounterSafeAdminMixin:
    """Never write counters from an admin form, and explain refused saves.

    The change form was loaded before bookings that happened since, so saving
    every field would put back a stale `places_taken` and let the pool be
    oversold. Only the form's own fields are written. If a booking races the
    organiser past a database constraint, they get a message, not an error.
    """

    counter_fields: tuple[str, ...] = ("places_taken",)

    def save_model(self, request, obj, form, change):
        if not change:
            return super().save_model(request, obj, form, change)
        fields = [
            f.name
            for f in obj._meta.concrete_fields
            if not f.primary_key and f.name not in self.counter_fields
        ]
        obj.save(update_fields=fields)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:  # Django's changeform_view runs in a transaction of its own
            return super().changeform_view(request, object_id, form_url, extra_context)
        except IntegrityError:
            self.message_user(
                request,
                "That change was not saved: places were booked while you were "
                "editing, and it would leave fewer places than are taken. "
                "Check the numbers and try again.",
                messages.ERROR,
            )
            return HttpResponseRedirect(request.path)
