from django.conf import settings


def site(request):
    """Expose the site's name to every template."""
    return {"site_name": settings.PSDM_SITE_NAME}
