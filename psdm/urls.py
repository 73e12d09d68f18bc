from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import TemplateView
from django.views.static import serve


class PrivacyView(TemplateView):
    """The privacy notice, saying how long data is kept as configured now
    (PSDM_RETENTION_DAYS; 0: until the organiser deletes it)."""

    template_name = "pages/privacy.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["retention_days"] = settings.PSDM_RETENTION_DAYS
        return context


admin.site.site_header = "Public Sector Digital Midlands: organiser"
admin.site.site_title = "PSDM organiser"
admin.site.index_title = "Events, tickets and sponsors"

urlpatterns = [
    # First: door devices call its API many times a second, and the
    # includes without a prefix below are tried pattern by pattern.
    path("checkin/", include("tickets.urls_checkin")),
    # Polled by load balancers every few seconds: found before the pages.
    path("", include("psdm.ops.urls")),
    path("", include("events.urls")),
    path("", include("tickets.urls")),
    path("", include("sponsors.urls")),
    path(
        "accessibility/",
        TemplateView.as_view(template_name="pages/accessibility.html"),
        name="accessibility",
    ),
    path("privacy/", PrivacyView.as_view(), name="privacy"),
    # Before the admin's own URLs, whose catch-all would take these.
    path("admin/dashboard/", include("tickets.dashboard.urls")),
    path(
        "admin/tickets/order/personal-data/",
        include("tickets.admin.personal_data"),
    ),
    path("admin/two-factor/", include("psdm.security.urls")),
    path("admin/", admin.site.urls),
]

# Friendly error pages (templates/400.html...); 500 without the database.
handler500 = "psdm.security.views.server_error"


def media(request, path):
    """Serve an uploaded logo or photo (a big site lets the web server do it)."""
    return serve(request, path, document_root=settings.MEDIA_ROOT)


if settings.PSDM_SERVE_MEDIA:
    urlpatterns.append(re_path(r"^media/(?P<path>.*)$", media))
