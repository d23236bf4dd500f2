"""Test run: fast hashing, in-memory email, eager Celery unless a test starts a real worker."""

from .base import *  # noqa: F403
from .base import env

SECRET_KEY = env("SECRET_KEY", default="tests-only-not-secret")
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tests call tasks directly or through on_commit; the real-broker tests switch eager off.
CELERY_TASK_ALWAYS_EAGER = True
AXES_FAILURE_LIMIT = 5
# Each test process counts sign-in attempts on its own; tests/conftest.py clears it per test.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
TEST_REDIS_URL = env("REDIS_URL", default="")
WHITENOISE_AUTOREFRESH = True  # no collectstatic in tests
# Templates of the tests' own report kind (tests/kiaa/report_kind.py).
TEMPLATES[0]["DIRS"] = [BASE_DIR / "templates", BASE_DIR / "tests" / "templates"]  # noqa: F405
# Reports are laid out here, in the test process, unless a test asks for child processes.
REPORT_RENDER_PROCESSES = 1
