"""Settings shared by every environment; each value that differs per deployment is read here."""

import os
from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()

SECRET_KEY = env("SECRET_KEY", default="")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.forms",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "guardian",
    "axes",
    "django_htmx",
    "kiaa",
    "partnerships",
    "bids",
    "disputes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "kiaa.tenancy.TenantMiddleware",
    # Last, as django-axes asks: it turns a lockout raised by authenticate() into its response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "kiaa.urls"
WSGI_APPLICATION = "kiaa.wsgi.application"
AUTH_USER_MODEL = "kiaa.User"

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
                "kiaa.context_processors.tenant",
            ],
        },
    },
]
# Every form renders through our accessible templates (labels, hints, errors tied by aria).
FORM_RENDERER = "kiaa.forms.AccessibleFormRenderer"

# Unset or empty: a SQLite file beside manage.py, so the app runs with nothing else installed.
DATABASES = {
    "default": env.db_url_config(
        env("DATABASE_URL", default="") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
    ),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    # PostgreSQL's planner prices a random page read at 4 sequential ones, as for spinning
    # disks: it then scans an alliance's 50,000 papers rather than look up the 3,000 a person
    # may see by id (docs/PERFORMANCE.md). Our tables are read from memory or SSD.
    options = DATABASES["default"].setdefault("OPTIONS", {})
    cost = env.float("DATABASE_RANDOM_PAGE_COST", default=1.1)
    options["options"] = f"{options.get('options', '')} -c random_page_cost={cost}".strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    # Axes first: it refuses a locked-out username/address before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Lockout: five failures for one username from one address lock it for 15 minutes.
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_CALLABLE = "kiaa.auth.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Uploaded files live outside the static path; only views that ask the barrier serve them.
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "var" / "files")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Console email by default; set EMAIL_BACKEND to Django's SMTP backend and the host settings to send.
EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="KIAA governance <noreply@localhost>")
# Links in emails are absolute; a worker has no request to build them from.
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
INVITATION_MAX_AGE = timedelta(days=env.int("INVITATION_MAX_AGE_DAYS", default=14))

# Celery: with no REDIS_URL tasks run eagerly in-process, so the app works with nothing else.
REDIS_URL = env("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
# Throttle counts live in Redis where there is one, so every web worker counts together.
CACHES = {
    "default": (
        {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
        if REDIS_URL
        else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    )
}
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_TASK_TIME_LIMIT = 5 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 4 * 60
# A task is acknowledged after it ran, so a worker that dies mid-task loses nothing;
# the tasks are idempotent, so running one twice is harmless.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = TIME_ZONE
# How often the periodic jobs run (kiaa/schedule.py), in seconds.
SCHEDULE_EVERY = {
    name: timedelta(seconds=env.int(f"SCHEDULE_{name.upper()}_SECONDS", default=seconds))
    for name, seconds in {
        "barrier": 600,
        "outbox": 60,
        "withdrawals": 300,
        "breaches": 900,
        "reminders": 3600,
        "reports": 3600,
    }.items()
}
# The local hour the daily notification digests go out.
DIGEST_HOUR = env.int("DIGEST_HOUR", default=7)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: its WWW-Authenticate header makes "not signed in" a 401, as API.md says.
        "knox.auth.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "kiaa.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "kiaa.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "kiaa.api.errors.exception_handler",
    "DEFAULT_METADATA_CLASS": "kiaa.api.metadata.Metadata",
    # Password checks (API token issue and the sign-in page) share one budget per address.
    "DEFAULT_THROTTLE_RATES": {"sign-in": env("SIGN_IN_RATE", default="10/min")},
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
# API tokens (django-rest-knox): several per person, stored hashed, each with its own expiry.
KNOX_TOKEN_MODEL = "kiaa.ApiToken"  # noqa: S105 (a model name, not a secret)
REST_KNOX = {
    "TOKEN_MODEL": KNOX_TOKEN_MODEL,
    # Marks our keys, so a key pasted into a ticket or a repository is recognisable.
    "TOKEN_PREFIX": "kiaa_",
    "TOKEN_TTL": timedelta(days=env.int("API_TOKEN_DAYS", default=90)),
}
API_TOKEN_LIMIT = env.int("API_TOKEN_LIMIT", default=20)
# Knox's own migrations would create the table of the model ours replaces.
MIGRATION_MODULES = {"knox": None}

SPECTACULAR_SETTINGS = {
    "TITLE": "KIAA governance API",
    "DESCRIPTION": "Alliances, agencies, members and protocol; tenancy and the information "
    "barrier apply to every call.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Choice sets used by several components under one field name ("status", "role") need
    # a name of their own, or every further "status" makes the generator guess (a warning).
    "ENUM_NAME_OVERRIDES": {
        "AgencyStatusEnum": "kiaa.models.Agency.Status",
        "RoleEnum": "kiaa.models.Role",
        "VoteChoiceEnum": "kiaa.models.BoardVote.Choice",
        "ConflictKindEnum": "bids.api.serializers.CONFLICT_KINDS",
        "PartnershipKindEnum": "partnerships.models.Partnership.Kind",
        "DecisionStatusEnum": "kiaa.models.BoardDecision.Status",
        # Kept by name now that breach reviews have an "outcome" of their own.
        "OutcomeEnum": "partnerships.models.DueDiligenceCheck.Outcome",
    },
    # Swagger UI served from our own static files: no CDN, works offline and under a strict CSP.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}

GUARDIAN_RAISE_403 = False
ANONYMOUS_USER_NAME = None

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # Each task's success is routine; failures still log as errors.
    "loggers": {
        "axes": {"level": "WARNING"},
        "celery.app.trace": {"level": "WARNING"},
        # WeasyPrint logs each step and page of every report at INFO.
        "weasyprint": {"level": "WARNING"},
        "pikepdf": {"level": "WARNING"},
    },
}

# Reports: how many processes lay out one long PDF at once (WeasyPrint uses one core each), and
# how long a finished export stays downloadable before its file is deleted.
REPORT_RENDER_PROCESSES = env.int("REPORT_RENDER_PROCESSES", default=min(os.cpu_count() or 1, 4))
REPORT_EXPIRE_AFTER = timedelta(days=env.int("REPORT_EXPIRE_DAYS", default=7))

# Uploaded papers: the largest accepted file, in megabytes.
DOCUMENT_MAX_MB = env.int("DOCUMENT_MAX_MB", default=20)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
