from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView

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
if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
