"""Production settings: refuse to start without the secrets production needs."""

import os

from django.core.exceptions import ImproperlyConfigured

for _name in ("DJANGO_SECRET_KEY", "DATABASE_URL"):
    if not os.environ.get(_name):
        raise ImproperlyConfigured(f"{_name} must be set in production.")

from .base import *  # noqa: E402,F403
from .env import env_bool, env_int, env_str  # noqa: E402

DEBUG = env_bool("DJANGO_DEBUG", False)
WHITENOISE_USE_FINDERS = env_bool("WHITENOISE_USE_FINDERS", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
# Load balancers poll the health check over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^health/"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# A year: browsers' preload lists take no less (hstspreload.org).
SECURE_HSTS_SECONDS = env_int("DJANGO_SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365)
# HSTS for subdomains too, with "preload" (manage.py check --deploy asks for
# both). Turn either off if a subdomain of yours cannot do HTTPS. "preload"
# is sent only with a year or more, as the preload lists require.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = (
    env_bool("DJANGO_SECURE_HSTS_PRELOAD", True)
    and SECURE_HSTS_SECONDS >= 60 * 60 * 24 * 365
)
# Production sits behind one reverse proxy (it sets X-Forwarded-Proto above).
PSDM_TRUSTED_PROXY_COUNT = env_int("PSDM_TRUSTED_PROXY_COUNT", 1)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
STORAGES["staticfiles"]["BACKEND"] = (  # noqa: F405
    "whitenoise.storage.CompressedManifestStaticFilesStorage"
)

# One JSON object a log line, unless DJANGO_LOG_FORMAT=text.
DJANGO_LOG_FORMAT = env_str("DJANGO_LOG_FORMAT", "json")
LOGGING["handlers"]["console"]["formatter"] = (  # noqa: F405
    "json" if DJANGO_LOG_FORMAT == "json" else "text"
)
