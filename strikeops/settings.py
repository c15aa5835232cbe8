"""strikeops settings: one module, driven by environment variables.

Defaults are safe for production (DEBUG off, secure cookies, HSTS); `make run` turns on
DEBUG for local use. Test-only overrides live in tests/settings.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured

from strikeops.env import env_bool, env_float, env_int, env_list, env_str

# Lets Django's generic classes take type arguments at run time (admin.ModelAdmin[Notice], Feed[...]),
# as django-stubs declares them.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    # Only ever used with DEBUG on, on a developer's machine.
    SECRET_KEY = "django-insecure-local-development-only-key-0123456789abcdef"  # noqa: S105 (DEBUG only)

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_forms_nhsuk",
    "outbox",
    "trusts",
    "reports",
    "notices",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Public pages for anonymous readers, from the cache, before everything below (public_cache.py).
    "strikeops.public_cache.PublicCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "strikeops.urls"
WSGI_APPLICATION = "strikeops.wsgi.application"

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
                "trusts.context_processors.service",
            ],
        },
    },
]

# PostgreSQL only. `make run` and `make test` start an embedded one when DATABASE_URL is unset
# (scripts/local_services.py); the default is the conventional local server, so that commands
# which touch no database (collectstatic, check --deploy) still start.
DATABASES = {
    "default": dj_database_url.config(
        default="postgres://postgres@127.0.0.1:5432/strikeops",
        conn_max_age=env_int("CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "trusts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# The NHS.UK design system comes from npm (node_modules), never copied into the repo.
NHSUK_FRONTEND_DIR = BASE_DIR / "node_modules" / "nhsuk-frontend" / "dist" / "nhsuk"
STATICFILES_DIRS = [BASE_DIR / "static", ("nhsuk", NHSUK_FRONTEND_DIR)]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Source maps and Sass partials in the npm package refer to files we do not serve.
WHITENOISE_MANIFEST_STRICT = False

CRISPY_ALLOWED_TEMPLATE_PACKS = ("nhsuk",)
CRISPY_TEMPLATE_PACK = "nhsuk"

# --- Redis, Celery and cache -------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
# Tasks always go to a worker: `make run` starts Redis (when REDIS_URL is unset), a worker and beat.
# Running tasks in-process is for tests that ask for it (tests/settings.py).
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TASK_EAGER_PROPAGATES = True
# Recovery from a dead worker (docs/delivery.md, "Faults"), four settings that work together:
# - acks_late + reject_on_worker_lost: a task is acknowledged when it ends; if its pool process is
#   killed the worker puts the message back at once, for any worker to take.
# - prefetch multiplier 1: a worker holds no more messages than it runs (with acks_late the running
#   ones count), so a worker that dies strands no queue of prefetched work behind it.
# - visibility_timeout: messages taken by a worker that died whole (nobody left to put them back)
#   return to the queue this long after they were taken; every delivery task hands its remaining work
#   to a new task after DELIVERY_TASK_SECONDS, so a healthy task never runs as long as this.
# - the recovery task (below, every DELIVERY_RECOVER_EVERY_SECONDS) releases the one message each
#   dead process had in flight, after DELIVERY_SENDING_TIMEOUT_SECONDS.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = env_int("CELERY_WORKER_PREFETCH_MULTIPLIER", 1)
CELERY_BROKER_VISIBILITY_TIMEOUT = env_int("CELERY_BROKER_VISIBILITY_TIMEOUT", 40)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_BROKER_VISIBILITY_TIMEOUT,
    # Workers look for expired messages every 5 s (kombu's default is about every 100 s).
    "unacked_restore_interval": 5,
    "unacked_restore_throttle": 1,
    # Redis down must not hold a request (below): connecting gives up after 2 s.
    "socket_connect_timeout": 2,
}
# Three queues, so that no kind of work waits behind another: bulk campaign sends; transactional
# email (subscription confirmations, notice emails, return reminders), small and expected at once;
# housekeeping (recovery, purge, scheduled starts). A worker started without -Q consumes all three.
CELERY_TASK_DEFAULT_QUEUE = "transactional"
CELERY_TASK_QUEUES = {name: {"exchange": name, "routing_key": name}
                      for name in ("bulk", "transactional", "housekeeping")}
CELERY_TASK_ROUTES = {
    "notices.campaign_fan_out": {"queue": "bulk"},
    "notices.deliveries_send_range": {"queue": "bulk"},
    "notices.deliveries_send_ids": {"queue": "bulk"},
    "notices.notify_subscribers": {"queue": "transactional"},
    "notices.send_subscriber_email": {"queue": "transactional"},
    "trusts.send_return_reminders": {"queue": "transactional"},
    "outbox.send": {"queue": "transactional"},
    "outbox.recover": {"queue": "housekeeping"},
    "notices.campaigns_purge": {"queue": "housekeeping"},
    "strikeops.health": {"queue": "housekeeping"},
}
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Redis down must not hold a request (docs/delivery.md, "Redis unreachable"): a web process gives up
# publishing after one quick retry and leaves the work to the recovery beat tasks, instead of
# Celery's defaults (3 retries, 4 s connect timeout, and 20 retries in the Redis result backend:
# about 19 s before the error page). Workers reconnect on their own loop and are not slowed by this.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
# (The broker's socket_connect_timeout is in CELERY_BROKER_TRANSPORT_OPTIONS above: one dict. A
# second assignment here once replaced the visibility timeout with Redis's default hour.)
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2,
                                    "interval_max": 0.2}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 2
# Work queued with delay_on_commit is published with ignore_result (strikeops/celery.py): nothing reads
# those results, and the result backend is one more Redis call that can fail.
# Each app's tasks.py is found by autodiscovery; project-level tasks live outside any app, so are listed.
CELERY_IMPORTS = ["strikeops.tasks"]
CELERY_BEAT_SCHEDULE: dict[str, dict[str, Any]] = {}

if REDIS_URL:
    # Short socket time-outs: public pages fail open (served uncached) and API throttling counts
    # locally (trusts/api/throttling.py) when Redis is unreachable,
    # and a hanging connection would hold every web thread instead.
    CACHES = {"default": {"BACKEND": "strikeops.cache.ReusingRedisCache", "LOCATION": REDIS_URL,
                          "OPTIONS": {"socket_connect_timeout": env_float("CACHE_SOCKET_TIMEOUT", 0.5),
                                      "socket_timeout": env_float("CACHE_SOCKET_TIMEOUT", 0.5)}}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Public pages (strikeops/public_cache.py): how long browsers and shared caches may keep one, and
# how long the server keeps its own copy (any data change replaces it at once).
PUBLIC_CACHE_MAX_AGE = env_int("PUBLIC_CACHE_MAX_AGE", 60)
PUBLIC_CACHE_TIMEOUT = env_int("PUBLIC_CACHE_TIMEOUT", 300)

# --- Email -------------------------------------------------------------------
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env_str("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "strikeops <noreply@strikeops.nhs.uk>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Security ----------------------------------------------------------------
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 60 * 60)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

SERVICE_NAME = "strikeops"
SERVICE_PHASE = env_str("SERVICE_PHASE", "beta")

# --- Operations: probes, request ids, structured logs, error tracking (docs/deployment.md) ----
# /healthz and /readyz answer before host validation (strikeops/operations.py).
MIDDLEWARE.insert(0, "strikeops.operations.HealthProbeMiddleware")
# A request id per request (X-Request-ID: a valid incoming one is kept, else a new one), sent back
# as a response header, on every log line and carried into every Celery task the request queues.
INSTALLED_APPS += ["django_guid"]
MIDDLEWARE.insert(1, "django_guid.middleware.guid_middleware")
MIDDLEWARE.insert(2, "strikeops.operations.RequestLogMiddleware")
from django_guid.integrations import CeleryIntegration as _GuidCelery  # noqa: E402

DJANGO_GUID = {
    "GUID_HEADER_NAME": "X-Request-ID",
    "VALIDATE_GUID": True,
    "RETURN_HEADER": True,
    "EXPOSE_HEADER": True,
    "INTEGRATIONS": [_GuidCelery(use_django_logging=True, log_parent=True,
                                 sentry_integration=bool(env_str("SENTRY_DSN")))],
    "IGNORE_URLS": [],
}
# json (one JSON object a line, for a log pipeline) or text (for a terminal).
LOG_FORMAT = env_str("LOG_FORMAT", "text" if DEBUG else "json")
if LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured(f"LOG_FORMAT={LOG_FORMAT!r}; use json or text.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "django_guid.log_filters.CorrelationId"},
        "celery_ids": {"()": "django_guid.integrations.celery.log_filters.CeleryTracing"},
        # The safety net under strikeops/redaction.py: no email address, phone or NHS number reaches the log.
        "personal_data": {"()": "strikeops.redaction.PersonalDataLogFilter"},
    },
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s %(correlation_id)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger",
                              "correlation_id": "request_id"},
        },
        "text": {"format": "%(asctime)s %(levelname)s [%(correlation_id)s] %(name)s: %(message)s"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT,
                    "filters": ["request_id", "celery_ids", "personal_data"]},
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # The request line above replaces Django's own per-request logging (it logs raw paths).
        "django.server": {"level": "WARNING"},
        # django-guid logs each id it sets at INFO: noise on every request and task.
        "django_guid": {"level": "WARNING"},
    },
}
# Workers log through the configuration above (request ids, JSON), not Celery's own handler.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Error tracking is on only when SENTRY_DSN is set; strikeops/operations.py scrubs personal data.
SENTRY_DSN = env_str("SENTRY_DSN")
if SENTRY_DSN:
    from strikeops.operations import sentry_init

    sentry_init(SENTRY_DSN, environment=env_str("SENTRY_ENVIRONMENT", "production"),
                release=env_str("SENTRY_RELEASE"),
                traces_sample_rate=env_float("SENTRY_TRACES_SAMPLE_RATE", 0.0))

# --- Sign-in hardening, two-factor and Content-Security-Policy (docs/security.md) ----------
from datetime import timedelta  # noqa: E402  (kept with the settings it serves)

from csp.constants import NONE, SELF  # noqa: E402

INSTALLED_APPS += ["axes", "django_otp", "django_otp.plugins.otp_totp", "csp"]
# OTP verification state hangs off request.user, so it must follow AuthenticationMiddleware;
# our enforcement follows it. Axes must see every response last (it turns a flagged
# request into the lock-out page).
MIDDLEWARE.insert(MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
                  "django_otp.middleware.OTPMiddleware")
MIDDLEWARE.insert(MIDDLEWARE.index("django_otp.middleware.OTPMiddleware") + 1, "trusts.otp.OTPRequiredMiddleware")
# After authentication, so that its branded 400 page can show the signed-in header.
MIDDLEWARE.insert(MIDDLEWARE.index("django_otp.middleware.OTPMiddleware"),
                  "strikeops.middleware.RefuseControlCharactersMiddleware")
MIDDLEWARE.insert(MIDDLEWARE.index("strikeops.middleware.RefuseControlCharactersMiddleware"),
                  "strikeops.middleware.NoStoreForSignedInMiddleware")
# Django's own CSRF page has inline style (blocked by the CSP) and is not NHS.UK-branded.
CSRF_FAILURE_VIEW = "trusts.views.errors.csrf_failure"
MIDDLEWARE += ["csp.middleware.CSPMiddleware", "axes.middleware.AxesMiddleware"]
AUTHENTICATION_BACKENDS = [
    # Refuses locked-out clients before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 30))
# Per address typed and client IP: one attacker cannot lock a colleague out from elsewhere.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_CALLABLE = "trusts.forms.sign_in.axes_username"
AXES_RESET_ON_SUCCESS = True
# Keep the lock-out's end fixed (attempts during it do not extend it), so the page can say when.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_HTTP_RESPONSE_CODE = 429
AXES_VERBOSE = False  # no start-up banner in every management command
AXES_LOCKOUT_CALLABLE = "trusts.views.accounts.locked_out"
# Password spraying: failures from one client IP across every address typed, within the cool-off
# (trusts/sign_in_limits.py). Also the most sign-in failure audit rows one IP can cause per cool-off.
AXES_HANDLER = "trusts.sign_in_limits.SprayLimitingHandler"
SIGN_IN_IP_FAILURE_LIMIT = env_int("SIGN_IN_IP_FAILURE_LIMIT", 20)
# Behind a TLS proxy the client address is the first X-Forwarded-For entry the proxy appended.
if env_bool("BEHIND_TLS_PROXY", False):
    AXES_IPWARE_PROXY_COUNT = env_int("AXES_IPWARE_PROXY_COUNT", 1)
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]

OTP_REQUIRED_FOR_NATIONAL_MANAGERS = env_bool("OTP_REQUIRED_FOR_NATIONAL_MANAGERS", True)
OTP_TOTP_ISSUER = SERVICE_NAME

# Sessions end when the browser closes, and at the latest SESSION_COOKIE_AGE after sign-in.
SESSION_EXPIRE_AT_BROWSER_CLOSE = env_bool("SESSION_EXPIRE_AT_BROWSER_CLOSE", True)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# No inline script or style anywhere. NHS.UK's Frutiger font is licensed for NHS services only
# from assets.nhs.uk (nhsuk-frontend's CSS loads it from there); without it pages fall back to Arial.
CSP_FONT_SOURCES = env_list("CSP_FONT_SOURCES", ["https://assets.nhs.uk"])
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF, *CSP_FONT_SOURCES],
        "connect-src": [SELF],
        "object-src": [NONE],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [SELF],
    },
}

# Uploads (CSV/XLSX imports): larger files are refused with a clear message (trusts/uploads.py).
UPLOAD_MAX_BYTES = env_int("UPLOAD_MAX_BYTES", 20 * 1024 * 1024)  # = trusts.tabular.MAX_UPLOAD_BYTES
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # bigger files spill to a temporary file, not memory
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # request bodies other than files
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000
FILE_UPLOAD_HANDLERS = [
    "trusts.uploads.SizeLimitUploadHandler",  # stops storing a file once it passes UPLOAD_MAX_BYTES
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

# --- Public notices and email subscriptions (docs/notices.md) -------------------------------
# Links in emails (confirm, unsubscribe, read the notice) are absolute; set to the https origin in production.
# Production must set it to its https origin (strikeops/checks.py refuses to start otherwise).
SITE_URL = env_str("SITE_URL", "http://localhost:8000" if DEBUG else "")

# --- Releases (docs/reports.md, "The publish gate") -----------------------------------------
# Publishing is refused while any strike day has fewer than this percentage of its expected
# returns, unless the manager gives a reason (recorded on the release).
RELEASE_COVERAGE_THRESHOLD = env_int("RELEASE_COVERAGE_THRESHOLD", 95)
if not 0 <= RELEASE_COVERAGE_THRESHOLD <= 100:
    raise ImproperlyConfigured(
        f"RELEASE_COVERAGE_THRESHOLD={RELEASE_COVERAGE_THRESHOLD} is not a percentage (0 to 100).")

# --- Return reminders (trusts.tasks) -------------------------------------------
# Trusts that still owe a strike day's return are emailed this many hours before its deadline
# (11:00 the next working day); beat checks every 15 minutes.
RETURN_REMINDER_LEAD = env_int("RETURN_REMINDER_LEAD", 2)
CELERY_BEAT_SCHEDULE["trusts.send_return_reminders"] = {
    "task": "trusts.send_return_reminders",
    "schedule": 15 * 60,
}

# --- Campaign delivery: channels, GOV.UK Notify, retries, rate limit, retention (docs/delivery.md) --
NOTIFY_API_KEY = env_str("NOTIFY_API_KEY")
NOTIFY_BASE_URL = env_str("NOTIFY_BASE_URL", "https://api.notifications.service.gov.uk")
NOTIFY_TIMEOUT = env_int("NOTIFY_TIMEOUT", 15)
# One generic Notify template per kind whose content is ((subject)) and ((body)) (letters also take
# ((address_line_1))...): our templates are rendered here and sent as those two values.
NOTIFY_TEMPLATE_ID_EMAIL = env_str("NOTIFY_TEMPLATE_ID_EMAIL")
NOTIFY_TEMPLATE_ID_SMS = env_str("NOTIFY_TEMPLATE_ID_SMS")
NOTIFY_TEMPLATE_ID_LETTER = env_str("NOTIFY_TEMPLATE_ID_LETTER")
# The bearer token Notify sends with delivery receipts; empty turns the callback endpoint off (401).
NOTIFY_CALLBACK_TOKEN = env_str("NOTIFY_CALLBACK_TOKEN")
# Which channel sends each kind: notify, email (Django's backend; email only), log (development:
# logs the delivery id, sends nothing), test (records sends; tests only) or none. DELIVERY_CHANNEL
# sets all three; DELIVERY_CHANNEL_EMAIL/_SMS/_LETTER override one.
DELIVERY_CHANNEL = env_str("DELIVERY_CHANNEL")
_delivery_fallback = "notify" if NOTIFY_API_KEY else ("log" if DEBUG else "none")
DELIVERY_CHANNELS = {
    # Django's console backend would print patients' addresses: in development the log channel instead.
    "email": env_str("DELIVERY_CHANNEL_EMAIL") or DELIVERY_CHANNEL
    or ("notify" if NOTIFY_API_KEY else ("log" if DEBUG else "email")),
    "sms": env_str("DELIVERY_CHANNEL_SMS") or DELIVERY_CHANNEL or _delivery_fallback,
    "letter": env_str("DELIVERY_CHANNEL_LETTER") or DELIVERY_CHANNEL or _delivery_fallback,
}
if any(name not in ("notify", "email", "log", "test", "none") for name in DELIVERY_CHANNELS.values()):
    raise ImproperlyConfigured(
        f"Unknown delivery channel in {DELIVERY_CHANNELS}; use notify, email, log, test or none.")
if "notify" in DELIVERY_CHANNELS.values() and not NOTIFY_API_KEY:
    raise ImproperlyConfigured("The notify delivery channel needs NOTIFY_API_KEY.")
# Attempts per delivery before a temporary failure becomes permanent; back-off doubles from the base.
DELIVERY_MAX_ATTEMPTS = env_int("DELIVERY_MAX_ATTEMPTS", 5)
DELIVERY_RETRY_BASE_SECONDS = env_int("DELIVERY_RETRY_BASE_SECONDS", 60)
DELIVERY_RETRY_MAX_SECONDS = env_int("DELIVERY_RETRY_MAX_SECONDS", 3600)
# Across all workers (Notify's per-key limit is 3,000 a minute).
DELIVERY_RATE_PER_MINUTE = env_int("DELIVERY_RATE_PER_MINUTE", 3000)
# Messages each worker process has in flight at once through a channel that waits on the network
# (GOV.UK Notify answers in 100-200 ms): 4 processes x 8 reach the default limit (50 a second) with
# room to spare; raise both for a higher Notify limit (BENCHMARKS.md, "Notify throughput").
DELIVERY_SEND_THREADS = env_int("DELIVERY_SEND_THREADS", 8)
# The Redis shared by workers for the rate limit; defaults to REDIS_URL.
DELIVERY_REDIS_URL = env_str("DELIVERY_REDIS_URL")
# Deliveries per fan-out message (ids only).
DELIVERY_CHUNK_SIZE = env_int("DELIVERY_CHUNK_SIZE", 500)
# A delivery still "sending" this long after its claim was left by a dead worker (must exceed the
# longest send: NOTIFY_TIMEOUT or EMAIL_TIMEOUT plus a wait for the rate limit). With the recovery
# task every 15 s, a dead process's in-flight message is released within 55 s.
DELIVERY_SENDING_TIMEOUT_SECONDS = env_int("DELIVERY_SENDING_TIMEOUT_SECONDS", 40)
# A queued delivery whose broker message has not been worked this long is put in a new message: a
# safety net for messages the broker itself lost (a Redis restart without persistence); a dead
# worker's messages come back through the visibility timeout much sooner. Long, because a row may
# rightly wait this long behind a large rate-limited campaign, and each re-queue is wasted work.
DELIVERY_REQUEUE_AFTER_SECONDS = env_int("DELIVERY_REQUEUE_AFTER_SECONDS", 900)
# A send task works this long, then queues the rest of its work as a new task (see the visibility timeout).
DELIVERY_TASK_SECONDS = env_int("DELIVERY_TASK_SECONDS", 15)
DELIVERY_RECOVER_EVERY_SECONDS = env_int("DELIVERY_RECOVER_EVERY_SECONDS", 15)
if DELIVERY_TASK_SECONDS + max(NOTIFY_TIMEOUT, EMAIL_TIMEOUT) >= CELERY_BROKER_VISIBILITY_TIMEOUT:
    raise ImproperlyConfigured("CELERY_BROKER_VISIBILITY_TIMEOUT must exceed DELIVERY_TASK_SECONDS plus the "
                               "longest send (NOTIFY_TIMEOUT, EMAIL_TIMEOUT).")
DELIVERY_TEST_CHANNEL_DELAY_MS = env_int("DELIVERY_TEST_CHANNEL_DELAY_MS", 0)
# Key for the hashes in the opt-out table: changing it makes every recorded opt-out unrecognisable,
# so production must set it explicitly (strikeops/checks.py refuses to start without it); only a
# DEBUG machine derives one from SECRET_KEY.
MESSAGING_HASH_KEY = env_str("MESSAGING_HASH_KEY") or (f"opt-out:{SECRET_KEY}" if DEBUG else "")
# The one recovery task of the outbox, over every registered table (outbox.registry): campaign
# deliveries, emails to subscribers, emails to trusts (reminders, reopened returns).
CELERY_BEAT_SCHEDULE["outbox.recover"] = {"task": "outbox.recover", "schedule": DELIVERY_RECOVER_EVERY_SECONDS}
CELERY_BEAT_SCHEDULE["notices.campaigns_purge"] = {"task": "notices.campaigns_purge", "schedule": 60 * 60}
# Subscriber addresses that never worked (unconfirmed, or bounced for good) are deleted this long after.
SUBSCRIBER_BOUNCED_RETENTION_DAYS = env_int("SUBSCRIBER_BOUNCED_RETENTION_DAYS", 7)
CELERY_BEAT_SCHEDULE["notices.subscriptions_purge_bounced"] = {
    "task": "notices.subscriptions_purge_bounced", "schedule": 60 * 60}

# --- REST API, OpenAPI schema and tokens (docs/api.md) --------------------------------------
import re  # noqa: E402  (kept with the settings it serves)

INSTALLED_APPS += ["rest_framework", "drf_spectacular"]
# Requests per token (signed-in clients) and per client address (public endpoints), "N/second|minute|hour|day".
API_THROTTLE_RATES = {
    "token": env_str("API_THROTTLE_TOKEN", "120/minute"),
    "anon": env_str("API_THROTTLE_ANON", "60/minute"),
}
for _scope, _rate in API_THROTTLE_RATES.items():
    if not re.fullmatch(r"\d+/(second|minute|hour|day)", _rate):
        raise ImproperlyConfigured(f"API throttle rate for {_scope} is {_rate!r}; write it like 120/minute.")
# A token's last-used time is written at most this often (seconds), not on every call.
API_TOKEN_LAST_USED_INTERVAL = env_int("API_TOKEN_LAST_USED_INTERVAL", 60)
API_TOKENS_PER_USER = env_int("API_TOKENS_PER_USER", 10)
# Days a new API token works for (shown when it is created); then make a new one.
API_TOKEN_LIFETIME_DAYS = env_int("API_TOKEN_LIFETIME_DAYS", 90)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["trusts.api.authentication.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_THROTTLE_CLASSES": ["trusts.api.throttling.TokenRateThrottle"],
    # JSON only: the browsable API's pages would need inline script and style, which the CSP forbids.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "trusts.api.pagination.Pagination",
    "PAGE_SIZE": 100,
    "EXCEPTION_HANDLER": "trusts.api.errors.exception_handler",
    "DATETIME_FORMAT": "iso-8601",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "strikeops API",
    "DESCRIPTION": "Daily returns, figures, published releases and notices about industrial action in the NHS "
                   "in England. Authenticate with `Authorization: Bearer <token>` (create a token at "
                   "/account/tokens/). Published releases and notices need no token.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ReturnStatusEnum": "trusts.models.returns.ReturnStatus",
        "ReturnSourceEnum": "trusts.models.returns.ReturnSource",
        "ReportStatusEnum": "trusts.selectors.completeness.ReportStatus",
    },
    "LICENSE": {"name": "Open Government Licence v3.0 (published figures)",
                "url": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"},
}

# --- Deployment (docs/deployment.md) -----------------------------------------------------------
# Where collectstatic writes (each web machine, or the image build, runs it); default staticfiles/.
if env_str("STATIC_ROOT"):
    STATIC_ROOT = Path(env_str("STATIC_ROOT"))
