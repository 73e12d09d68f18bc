"""Badge print sheets in admin: print all of an event's badges (or the
places selected in the list of places), follow the build, download the PDF.

A sheet is built by Celery (`tickets.services.badges`); its page here is
read-only, and the progress page polls a small JSON status view."""

from collections import defaultdict

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from events.models import Event

from ..models import BadgeSheet
from ..services.badges import NothingToPrint, badge_sheet_request
from .common import _can


def can_print_badges(request) -> bool:
    return _can(request, "add", BadgeSheet)


def progress_text(sheet: BadgeSheet) -> str:
    return ngettext(
        "%(done)d of %(total)d badge", "%(done)d of %(total)d badges", sheet.total
    ) % {"done": sheet.done, "total": sheet.total}


def _progress_url(sheet_id: int) -> str:
    return reverse("admin:tickets_badgesheet_progress", args=[sheet_id])


def _download_url(sheet_id: int) -> str:
    return reverse("admin:tickets_badgesheet_download", args=[sheet_id])


class PrintForm(forms.Form):
    event = forms.ModelChoiceField(
        label=_("Event"),
        queryset=Event.objects.order_by("-starts_at"),
        help_text=_("Every confirmed place of the event gets a badge."),
    )


@admin.register(BadgeSheet)
class BadgeSheetAdmin(admin.ModelAdmin):
    list_display = ["event", "created_at", "status", "progress", "download"]
    list_filter = ["status", "event"]
    list_select_related = ["event"]
    fields = [
        "event",
        "status",
        "progress",
        "download",
        "error",
        "created_at",
        "created_by",
        "finished_at",
    ]
    readonly_fields = fields
    change_list_template = "admin/tickets/badgesheet/change_list.html"

    def get_queryset(self, request):
        # Never read the PDFs just to list the sheets.
        return super().get_queryset(request).defer("pdf")

    def has_add_permission(self, request):
        return False  # sheets are asked for with "Print all badges"

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("progress"))
    def progress(self, sheet):
        return format_html(
            '<a href="{}">{}</a>', _progress_url(sheet.pk), progress_text(sheet)
        )

    @admin.display(description=_("PDF"))
    def download(self, sheet):
        if sheet.status != BadgeSheet.Status.DONE:
            return "-"
        return format_html(
            '<a href="{}">{}</a>', _download_url(sheet.pk), gettext("Download")
        )

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "can_print": can_print_badges(request),
        }
        return super().changelist_view(request, extra_context)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("print/", view(self.print_view), name="tickets_badgesheet_print"),
            path(
                "<int:sheet_id>/progress/",
                view(self.progress_view),
                name="tickets_badgesheet_progress",
            ),
            path(
                "<int:sheet_id>/status.json",
                view(never_cache(self.status_view)),
                name="tickets_badgesheet_status",
            ),
            path(
                "<int:sheet_id>/badges.pdf",
                view(never_cache(self.download_view)),
                name="tickets_badgesheet_download",
            ),
            *super().get_urls(),
        ]

    def _context(self, request, title, **extra):
        request.current_app = self.admin_site.name
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            **extra,
        }

    def _sheet(self, request, sheet_id: int) -> BadgeSheet:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return get_object_or_404(
            BadgeSheet.objects.defer("pdf").select_related("event"), pk=sheet_id
        )

    def print_view(self, request):
        """Pick an event and print a badge for each of its confirmed places."""
        if not can_print_badges(request):
            raise PermissionDenied
        form = PrintForm(
            request.POST if request.method == "POST" else None,
            # The event's own admin page links here with ?event=<id>.
            initial={"event": request.GET.get("event")},
        )
        if request.method == "POST" and form.is_valid():
            try:
                sheet = badge_sheet_request(
                    event_id=form.cleaned_data["event"].pk, user=request.user
                )
            except NothingToPrint as exc:
                form.add_error("event", exc.message)
            else:
                return HttpResponseRedirect(_progress_url(sheet.pk))
        return TemplateResponse(
            request,
            "admin/tickets/badgesheet/print.html",
            self._context(request, gettext("Print all badges for an event"), form=form),
        )

    def progress_view(self, request, sheet_id):
        sheet = self._sheet(request, sheet_id)
        finished = sheet.status in (BadgeSheet.Status.DONE, BadgeSheet.Status.FAILED)
        return TemplateResponse(
            request,
            "admin/tickets/badgesheet/progress.html",
            self._context(
                request,
                gettext("Badges for %(event)s") % {"event": sheet.event},
                sheet=sheet,
                finished=finished,
                progress_text=progress_text(sheet),
                status_url=reverse("admin:tickets_badgesheet_status", args=[sheet.pk]),
                download_url=_download_url(sheet.pk),
            ),
        )

    def status_view(self, request, sheet_id):
        sheet = self._sheet(request, sheet_id)
        done = sheet.status == BadgeSheet.Status.DONE
        return JsonResponse(
            {
                "status": sheet.status,
                "status_label": sheet.get_status_display(),
                "done": sheet.done,
                "total": sheet.total,
                "percent": sheet.percent,
                "text": progress_text(sheet),
                "error": sheet.error,
                "download_url": _download_url(sheet.pk) if done else None,
            }
        )

    def download_view(self, request, sheet_id):
        sheet = self._sheet(request, sheet_id)
        pdf = BadgeSheet.objects.filter(pk=sheet.pk).values_list("pdf", flat=True)[0]
        if sheet.status != BadgeSheet.Status.DONE or not pdf:
            raise Http404
        response = HttpResponse(bytes(pdf), content_type="application/pdf")
        name = f"badges-{sheet.event.slug}-{sheet.pk}.pdf"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


class PrintBadgesAction:
    """The "Print badges for the selected places" action, for the list of
    places: one sheet for each event among them."""

    def has_print_badges_permission(self, request):
        return can_print_badges(request)

    @admin.action(
        description=_("Print badges for the selected places"),
        permissions=["print_badges"],
    )
    def print_badges(self, request, queryset):
        chosen: dict[int, list[int]] = defaultdict(list)
        for event_id, ticket_id in queryset.values_list("event_id", "pk"):
            chosen[event_id].append(ticket_id)
        sheets = []
        for event_id, ticket_ids in sorted(chosen.items()):
            try:
                sheets.append(
                    badge_sheet_request(
                        event_id=event_id, ticket_ids=ticket_ids, user=request.user
                    )
                )
            except NothingToPrint:
                continue
        if not sheets:
            self.message_user(
                request,
                gettext(
                    "None of the selected places is confirmed: no badges to print."
                ),
                messages.ERROR,
            )
            return None
        if len(sheets) == 1:
            return HttpResponseRedirect(_progress_url(sheets[0].pk))
        self.message_user(
            request,
            ngettext(
                "%(count)d print sheet is being made, one for each event.",
                "%(count)d print sheets are being made, one for each event.",
                len(sheets),
            )
            % {"count": len(sheets)},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(reverse("admin:tickets_badgesheet_changelist"))
