from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.generic import TemplateView
from django.views.static import serve

admin.site.site_header = "Public Sector Digital Midlands: organiser"
admin.site.site_title = "PSDM organiser"
admin.site.index_title = "Events, tickets and sponsors"

urlpatterns = [
    path("", include("events.urls")),
    path("", include("tickets.urls")),
    path("", include("sponsors.urls")),
    path(
        "accessibility/",
        TemplateView.as_view(template_name="pages/accessibility.html"),
        name="accessibility",
    ),
    path(
        "privacy/",
        TemplateView.as_view(template_name="pages/privacy.html"),
        name="privacy",
    ),
    path("admin/", admin.site.urls),
]
if settings.PSDM_SERVE_MEDIA:
    # Uploaded logos and photos. A big site would let the web server do this.
    urlpatterns.append(
        re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT})
    )
