"""Test overrides, all in one place. Everything else comes from strikeops.settings + env."""

import os

os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-not-for-production-0123456789")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
# Plain log lines in test output; the JSON format has its own tests (tests/strikeops/test_operations.py).
os.environ.setdefault("LOG_FORMAT", "text")
# DEBUG is off here, so the production checks (strikeops/checks.py) apply to the test settings too.
os.environ.setdefault("MESSAGING_HASH_KEY", "tests-only-messaging-hash-key")
os.environ.setdefault("SITE_URL", "https://strikeops.test")

from strikeops.settings import *  # noqa: F403

ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed, tests only
# A worker process of the SMTP fault test sends through a real SMTP server (tests/notices/fault_support.py).
EMAIL_BACKEND = os.environ.get("STRIKEOPS_TEST_EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
# Unit tests run tasks in-process; tests that need a real worker over Redis switch this off
# for themselves (tests/conftest.py: celery_worker_process).
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
# A worker started by the tests sets STRIKEOPS_TEST_WORKER=1 so that it consumes from TEST_REDIS_URL.
if os.environ.get("STRIKEOPS_TEST_WORKER") == "1":
    CELERY_TASK_ALWAYS_EAGER = False
    CELERY_BROKER_URL = CELERY_RESULT_BACKEND = TEST_REDIS_URL
else:
    CELERY_TASK_ALWAYS_EAGER = True
# Sends one at a time, so that send order is predictable in tests; tests of the concurrent Notify
# sends raise it (tests/notices/test_notify_throughput.py).
DELIVERY_SEND_THREADS = 1
# National managers need two-factor in production. Tests sign people in with
# client.force_login(nia), which has no OTP step, so the requirement is off by default here;
# tests/security/ turn it on with override_settings(OTP_REQUIRED_FOR_NATIONAL_MANAGERS=True).
# (Users who have an authenticator app are still asked for a code: the fixtures have none.)
OTP_REQUIRED_FOR_NATIONAL_MANAGERS = False
# WhiteNoise would scan STATIC_ROOT (thousands of files after a collectstatic) every time a test
# client builds its middleware; look files up on demand instead.
WHITENOISE_AUTOREFRESH = True
