"""Settings for psdm, read from the environment with safe local defaults.

With nothing set the site runs locally: SQLite file, e-mail written to files
under var/mail, Celery tasks run in-process. See README.md and .env.example.
Production uses psdm.settings.production, which refuses to start without a
secret key and a database URL.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url

from .env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(env_str("PSDM_VAR_DIR", str(BASE_DIR / "var")))

SECRET_KEY = env_str(
    "DJANGO_SECRET_KEY", "local-development-only-not-secret-0123456789abcdef"
)
DEBUG = env_bool("DJANGO_DEBUG", True)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])
# The check-in API answers a failed CSRF check in JSON; other pages as usual.
CSRF_FAILURE_VIEW = "tickets.views.checkin.csrf_failure"

INSTALLED_APPS = [
    "psdm.security.apps.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_forms_gds",
    # Draws crispy-forms-gds' field template in Python (templates/gds/field.html).
    "psdm.govuk_forms",
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "events",
    "tickets",
    "sponsors",
    "psdm.security",
]

MIDDLEWARE = [
    # First, so every log line of a request (and its answer) carries its id.
    "psdm.ops.middleware.RequestIdMiddleware",
    # A dropped database connection in a view: 503 "try again later".
    "psdm.ops.middleware.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "psdm.security.middleware.CSPMiddleware",
    "psdm.security.middleware.PermissionsPolicyMiddleware",
    # A NUL byte in the path, query string, a header or a form field: the
    # friendly 400 before anything reads the request (sessions, users, views),
    # logged with the request id and sent with the security headers above.
    "psdm.security.middleware.RefuseNulMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "psdm.security.ratelimit.RateLimitMiddleware",
    # Last: it answers for a locked-out log-in.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "psdm.urls"
WSGI_APPLICATION = "psdm.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "psdm.context_processors.site",
            ],
        },
    },
]

# Database: DATABASE_URL (postgres://user:pass@host:5432/name), else SQLite.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DJANGO_CONN_MAX_AGE", 60),
        # A kept connection is checked before its first use in a request, so
        # one ended by a database restart is replaced instead of answering 503.
        conn_health_checks=env_bool("DJANGO_CONN_HEALTH_CHECKS", True),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers run beside the one writer; IMMEDIATE takes the write
    # lock at BEGIN so two bookings never deadlock upgrading a read lock.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    # A file, not memory, so tests that use threads share one database; one
    # per test process so two test runs on one machine never share it.
    DATABASES["default"]["TEST"] = {
        "NAME": str(VAR_DIR / f"test-db-{os.getpid()}.sqlite3")
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

_VALIDATORS = "django.contrib.auth.password_validation"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"{_VALIDATORS}.UserAttributeSimilarityValidator"},
    {"NAME": f"{_VALIDATORS}.MinimumLengthValidator"},
    {"NAME": f"{_VALIDATORS}.CommonPasswordValidator"},
    {"NAME": f"{_VALIDATORS}.NumericPasswordValidator"},
]

# --- Security (README "Security") --------------------------------------------
# django-axes first: it refuses a locked-out username and address.
AUTHENTICATION_BACKENDS = [
    "psdm.security.backends.AxesBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# How many reverse proxies in front of the site append to X-Forwarded-For.
# The client's address (for rate limits and log-in lockouts) is the one the
# outermost of them saw; 0 means clients connect directly (REMOTE_ADDR), and
# X-Forwarded-For is ignored.
PSDM_TRUSTED_PROXY_COUNT = env_int("PSDM_TRUSTED_PROXY_COUNT", 0)
# Log-in lockout (django-axes, the admin and /checkin/login/): after
# AXES_FAILURE_LIMIT wrong passwords for one username from one address, that
# pair is refused for AXES_COOLOFF_MINUTES. A good log-in clears the count.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "psdm.security.ip.client_ip"
AXES_LOCKOUT_CALLABLE = "psdm.security.views.lockout"
# No usernames or addresses in axes' log lines; no record of good log-ins.
AXES_VERBOSE = False
AXES_CLIENT_STR_CALLABLE = "psdm.security.lockout.client_str"
AXES_USERNAME_CALLABLE = "psdm.security.lockout.client_username"
AXES_DISABLE_ACCESS_LOG = True
# Two-factor authentication (django-otp): the name authenticator apps show.
OTP_TOTP_ISSUER = env_str("PSDM_SITE_NAME", "Public Sector Digital Midlands")

# Rate limits per client address (psdm.security.ratelimit), by URL name: "N/m"
# for every method, or per method with "*" for the rest. Counted in the
# cache: set DJANGO_CACHE_URL so every process shares the counts (without
# it each process counts its own, so the limits multiply). Generous enough
# for a whole office booking from behind one address. The door's API has its
# own limits per door user (PSDM_CHECKIN_RATE_PER_*).
PSDM_RATE_LIMITS_ENABLED = env_bool("PSDM_RATE_LIMITS_ENABLED", True)
_STEP = {"POST": "60/m", "*": "300/m"}
_MANAGE = {"POST": "30/m", "*": "300/m"}
PSDM_RATE_LIMITS = {
    "tickets:choose": _STEP,
    "tickets:buyer": _STEP,
    "tickets:attendee": _STEP,
    "tickets:payment": _STEP,
    "tickets:invoice": _STEP,
    "tickets:check": _STEP,
    "tickets:reservation_cancel": _STEP,
    "tickets:availability": "600/m",
    "tickets:confirmation": "300/m",
    # Codes and the waiting list: few tries each, against guessing.
    "tickets:code": {"POST": "10/m", "*": "120/m"},
    "tickets:waitlist_join": {"POST": "10/m", "*": "120/m"},
    "tickets:offer": {"POST": "20/m", "*": "120/m"},
    "tickets:manage": _MANAGE,
    "tickets:attendee_list": _MANAGE,
    "tickets:ticket_change": _MANAGE,
    "tickets:ticket_transfer": _MANAGE,
    "tickets:ticket_cancel": _MANAGE,
    "tickets:cancel": _MANAGE,
    "tickets:payment_return": _MANAGE,
    "tickets:payment_cancel": _MANAGE,
    # PDFs and images take a while to draw.
    "tickets:badge_pdf": "60/m",
    "tickets:badge_png": "60/m",
    "tickets:invoice_pdf": "60/m",
    # Log-ins (beside axes' lockout per username): password spraying.
    "admin:login": {"POST": "30/m"},
    "checkin:login": {"POST": "30/m"},
}

# Content Security Policy (django-csp): only our own scripts, styles and
# images, no inline scripts or styles anywhere. Card buyers are sent to
# Stripe Checkout, which psdm.security.middleware.CSPMiddleware adds to
# form-action. The door's page decodes QR codes in a Web Worker.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "worker-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
# Browser features nobody here needs; /checkin/ may use the camera (badges).
PSDM_PERMISSIONS_POLICY = {
    "camera": "()",
    "microphone": "()",
    "geolocation": "()",
    "payment": "()",
    "usb": "()",
    "serial": "()",
    "magnetometer": "()",
    "gyroscope": "()",
    "accelerometer": "()",
    "browsing-topics": "()",
}
PSDM_CAMERA_PATH_PREFIX = "/checkin/"
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Cache: Redis when DJANGO_CACHE_URL is set (redis://127.0.0.1:6379/1), else
# memory in each process. Sessions stay in the database unless
# DJANGO_SESSION_ENGINE says otherwise (the cache engine is faster, but a
# booking in progress is lost if Redis restarts).
if env_str("DJANGO_CACHE_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": env_str("DJANGO_CACHE_URL"),
            # A Redis that has gone away costs a request a second at most.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
SESSION_ENGINE = env_str("DJANGO_SESSION_ENGINE", "django.contrib.sessions.backends.db")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env_str("DJANGO_MEDIA_ROOT", str(VAR_DIR / "media")))
# Serve uploads from Django itself; set false when the web server does it.
PSDM_SERVE_MEDIA = env_bool("PSDM_SERVE_MEDIA", True)
# Serve static files straight from static/ (no collectstatic) unless told not to.
WHITENOISE_USE_FINDERS = env_bool("WHITENOISE_USE_FINDERS", True)
# Uploads go to MEDIA_ROOT (shared storage, e.g. NFS, when there are several
# web machines) or, with DJANGO_MEDIA_STORAGE=s3, to an S3-compatible bucket.
DJANGO_MEDIA_STORAGE = env_str("DJANGO_MEDIA_STORAGE", "local")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env_str(
            "DJANGO_STATICFILES_STORAGE",
            "django.contrib.staticfiles.storage.StaticFilesStorage",
        )
    },
}
if DJANGO_MEDIA_STORAGE == "s3":
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": env_str("AWS_S3_ENDPOINT_URL") or None,
            "region_name": env_str("AWS_S3_REGION_NAME") or None,
            "access_key": env_str("AWS_ACCESS_KEY_ID") or None,
            "secret_key": env_str("AWS_SECRET_ACCESS_KEY") or None,
            "custom_domain": env_str("AWS_S3_CUSTOM_DOMAIN") or None,
            "location": env_str("AWS_LOCATION", "media"),
            # Logos and photos are public; links to them never expire.
            "default_acl": env_str("AWS_DEFAULT_ACL") or None,
            "querystring_auth": env_bool("AWS_QUERYSTRING_AUTH", False),
            "file_overwrite": False,
        },
    }
# Uploaded images (speaker photos, sponsor logos) are capped in size.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

CRISPY_ALLOWED_TEMPLATE_PACKS = ["gds"]
CRISPY_TEMPLATE_PACK = "gds"

# E-mail: SMTP when EMAIL_HOST is set, else files a person can read.
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
# STARTTLS by default; EMAIL_USE_SSL=true for implicit TLS (port 465).
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", not EMAIL_USE_SSL)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = env_str(
    "DEFAULT_FROM_EMAIL", "Public Sector Digital Midlands <events@psdm.localhost>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "django.core.mail.backends.filebased.EmailBackend",
)
EMAIL_FILE_PATH = VAR_DIR / "mail"
# The right-hand side of every Message-ID we make.
PSDM_EMAIL_DOMAIN = env_str("PSDM_EMAIL_DOMAIN", "psdm.localhost")
# Sending: a failed attempt is retried after 30 s, 60 s, 120 s... up to this
# many attempts, then shown to the organiser as failed.
PSDM_EMAIL_MAX_ATTEMPTS = env_int("PSDM_EMAIL_MAX_ATTEMPTS", 8)
PSDM_EMAIL_RETRY_SECONDS = env_int("PSDM_EMAIL_RETRY_SECONDS", 30)
# How long one sender owns an e-mail before the sweeper may hand it to another.
PSDM_EMAIL_CLAIM_SECONDS = env_int("PSDM_EMAIL_CLAIM_SECONDS", 300)

# Celery: with no broker configured, tasks run in-process (eagerly).
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "memory://")
CELERY_RESULT_BACKEND = env_str("CELERY_RESULT_BACKEND") or None
CELERY_TASK_ALWAYS_EAGER = env_bool(
    "CELERY_TASK_ALWAYS_EAGER", CELERY_BROKER_URL == "memory://"
)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_TIMEOUT = 5
# If the broker is down, a booking must not wait long for it: the e-mail is
# already safe in the outbox, and the sweeper hands it over later.
# A task a worker took but never finished (the worker was killed) goes to
# another worker after CELERY_VISIBILITY_TIMEOUT seconds; longer than the
# longest retry countdown (an hour), so a waiting retry is not run twice.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 2,
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 7200),
    # Look for such tasks every 10 s (kombu's default scans every 100 s).
    "unacked_restore_throttle": 1,
}
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_BEAT_SCHEDULE = {
    # Expired holds already stop counting at once; this gives their places
    # back to the pool's counter and retries refunds Stripe could not make.
    "tickets-expire-holds": {
        "task": "tickets.tasks.holds_expire_all",
        "schedule": 60.0,
    },
    # E-mails the broker never got (it was down), due a retry, or claimed
    # by a worker that died.
    "tickets-sweep-emails": {
        "task": "tickets.tasks.emails_sweep",
        "schedule": 60.0,
    },
    "tickets-send-reminders": {
        "task": "tickets.tasks.reminders_send",
        "schedule": 900.0,
    },
    "tickets-retry-refunds": {
        "task": "tickets.tasks.refunds_retry_pending",
        "schedule": 300.0,
    },
    # Waiting list: end offers not taken in time (passing the place on) and
    # offer any free place; the same happens at once when places come free.
    "tickets-waitlist-sweep": {
        "task": "tickets.tasks.waitlist_sweep",
        "schedule": 60.0,
    },
    # Attendees' personal data, PSDM_RETENTION_DAYS after each event.
    "tickets-anonymise-past-events": {
        "task": "tickets.tasks.personal_data_anonymise_due",
        "schedule": 86400.0,
    },
}

# Stripe: without a secret key, card payment is shown as unavailable.
STRIPE_SECRET_KEY = env_str("STRIPE_SECRET_KEY")
STRIPE_WEBHOOK_SECRET = env_str("STRIPE_WEBHOOK_SECRET")
# Only for tests and local fakes: where the Stripe API is.
STRIPE_API_BASE = env_str("STRIPE_API_BASE")
STRIPE_TIMEOUT_SECONDS = env_int("STRIPE_TIMEOUT_SECONDS", 15)
# How long places are held while a buyer pays by card. Stripe Checkout
# sessions last at least 30 minutes, and the hold ends when the session does.
PSDM_CARD_HOLD_MINUTES = max(env_int("PSDM_CARD_HOLD_MINUTES", 31), 31)
# How long places chosen at the first step of a booking are kept while the
# buyer types their details (a reservation). Fractions are allowed (tests).
PSDM_RESERVATION_MINUTES = max(
    float(os.environ.get("PSDM_RESERVATION_MINUTES") or 20), 0.01
)
# How long a place offered to someone on the waiting list is kept for them.
PSDM_WAITLIST_OFFER_HOURS = max(env_int("PSDM_WAITLIST_OFFER_HOURS", 48), 1)

# Booking: how long a row lock may be waited for (PostgreSQL) before the
# buyer is told the site is busy and asked to try again.
PSDM_LOCK_TIMEOUT_MS = env_int("PSDM_LOCK_TIMEOUT_MS", 5000)
# Door check-in: requests per door user (scans, searches, counts), in any
# one second and any one minute. Shared across processes only with a shared
# cache (DJANGO_CACHE_URL); else each process counts its own.
PSDM_CHECKIN_RATE_PER_SECOND = env_int("PSDM_CHECKIN_RATE_PER_SECOND", 30)
PSDM_CHECKIN_RATE_PER_MINUTE = env_int("PSDM_CHECKIN_RATE_PER_MINUTE", 1200)
PSDM_SITE_NAME = env_str("PSDM_SITE_NAME", "Public Sector Digital Midlands")
# The site's public address, for links in e-mails (which have no request).
PSDM_SITE_URL = env_str("PSDM_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Privacy: days after an event ends before its buyers' and attendees'
# personal data is anonymised (counts and amounts stay). 0 switches it off.
PSDM_RETENTION_DAYS = max(env_int("PSDM_RETENTION_DAYS", 90), 0)

# Badges: "a6" (A6 portrait) or "4x3" (4 x 3 inches landscape), to fit the
# lanyard pouches bought for the event.
PSDM_BADGE_SIZE = env_str("PSDM_BADGE_SIZE", "a6")

# Health check (/health/): the e-mail outbox is unhealthy when its oldest
# unsent e-mail has waited longer than this (seconds).
PSDM_HEALTH_OUTBOX_MAX_AGE_SECONDS = env_int("PSDM_HEALTH_OUTBOX_MAX_AGE_SECONDS", 1800)

# Logs: "text" for people, "json" (one object a line) for a log collector.
# Every line carries the request id (or Celery task id); e-mail addresses,
# manage-link secrets and badge codes are masked (psdm.ops.logs).
DJANGO_LOG_FORMAT = env_str("DJANGO_LOG_FORMAT", "text")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "context": {"()": "psdm.ops.logs.ContextFilter"},
        "redact": {"()": "psdm.ops.logs.RedactFilter"},
    },
    "formatters": {
        "text": {
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
        },
        "json": {"()": "psdm.ops.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["context", "redact"],
            "formatter": "json" if DJANGO_LOG_FORMAT == "json" else "text",
        }
    },
    "root": {"handlers": ["console"], "level": env_str("DJANGO_LOG_LEVEL", "INFO")},
    # Django's own console handler would print its lines a second time,
    # unmasked: they reach ours through the root logger instead.
    "loggers": {"django": {"handlers": [], "level": "INFO", "propagate": True}},
}

# Widgets: Django's own templates for <input> and <textarea>, drawn by
# Python (the same HTML, a tenth of the CPU); every other widget as usual.
FORM_RENDERER = "psdm.govuk_forms.renderers.FastWidgetRenderer"
