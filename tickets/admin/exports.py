"""CSV exports of an event's places in admin: the attendee list, the
caterer's and venue's list of dietary and access needs, and a sign-in sheet.

Download them for a whole event from the "Exports" page (the event's admin
page links to it) or for the selected places with an action. Only staff who
may view places get them: the files hold personal details.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from events.models import Event

from ..exports import LISTS, CsvList
from ..models import Ticket
from .common import _can

LIST_LABELS = {
    "attendees": _("Attendee list"),
    "needs": _("Dietary and access needs, for the caterer and the venue"),
    "sign-in": _("Sign-in sheet"),
    "future-events": _("Attendees who agreed to e-mails about future events"),
}


def can_export(request) -> bool:
    user = request.user
    return (
        user.is_active
        and user.is_staff
        and (_can(request, "view", Ticket) or _can(request, "change", Ticket))
    )


def export_url(*, event_id: int, kind: str) -> str:
    return (
        reverse("admin:tickets_ticket_exports")
        + "?"
        + urlencode({"event": event_id, "list": kind})
    )


def csv_response(csv_list: CsvList, event: Event) -> HttpResponse:
    response = HttpResponse(csv_list.as_bytes(), content_type="text/csv; charset=utf-8")
    name = csv_list.filename(event)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


class ExportForm(forms.Form):
    event = forms.ModelChoiceField(
        label=_("Event"), queryset=Event.objects.order_by("-starts_at")
    )
    list = forms.ChoiceField(
        label=_("List"),
        choices=list(LIST_LABELS.items()),
        widget=forms.RadioSelect,
    )


class ExportActions:
    """The "Exports" page and the export actions, for the list of places."""

    def has_export_permission(self, request):
        return can_export(request)

    def get_urls(self):
        return [
            path(
                "exports/",
                self._export_view(self.exports_view),
                name="tickets_ticket_exports",
            ),
            *super().get_urls(),
        ]

    def _export_view(self, view):
        # Not admin_view: that sends a signed-in user who may not export to
        # the log-in page; here they are told no (403).
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(
                    request.get_full_path(),
                    reverse("admin:login", current_app=self.admin_site.name),
                )
            if not can_export(request):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return never_cache(wrapper)

    def exports_view(self, request):
        """Pick an event and a list; with both given, download it."""
        bound = "event" in request.GET or "list" in request.GET
        form = ExportForm(request.GET if bound else None)
        if bound and form.is_valid():
            event = form.cleaned_data["event"]
            return csv_response(LISTS[form.cleaned_data["list"]](event=event), event)
        request.current_app = self.admin_site.name
        return TemplateResponse(
            request,
            "admin/tickets/ticket/exports.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": gettext("Download a list of an event's places"),
                "form": form,
            },
        )

    def _export_selected(self, request, queryset, kind: str):
        event_ids = set(queryset.values_list("event_id", flat=True))
        if len(event_ids) != 1:
            self.message_user(
                request,
                gettext("Choose places of one event only: each list is for one event."),
                messages.ERROR,
            )
            return None
        event = Event.objects.get(pk=event_ids.pop())
        ticket_ids = queryset.values_list("pk", flat=True)
        return csv_response(LISTS[kind](event=event, ticket_ids=ticket_ids), event)

    @admin.action(
        description=_("Download the attendee list of the selected places (CSV)"),
        permissions=["export"],
    )
    def export_attendees(self, request, queryset):
        return self._export_selected(request, queryset, "attendees")

    @admin.action(
        description=_("Download the dietary and access needs of the selected (CSV)"),
        permissions=["export"],
    )
    def export_needs(self, request, queryset):
        return self._export_selected(request, queryset, "needs")

    @admin.action(
        description=_("Download a sign-in sheet of the selected places (CSV)"),
        permissions=["export"],
    )
    def export_sign_in(self, request, queryset):
        return self._export_selected(request, queryset, "sign-in")
