"""integrationhub settings: one module, driven by the environment (see README "Configuration")."""

from __future__ import annotations

import os
from pathlib import Path

from integrationhub.config import (
    database_from_url,
    env_bool,
    env_currency,
    env_list,
    redis_from_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent
ENV = os.environ.get("DJANGO_ENV", "development").strip().lower()
PRODUCTION = ENV == "production"

_DEV_SECRET = "dev-only-insecure-key-change-me-integrationhub-0123456789abcdefghij"
SECRET_KEY = os.environ.get("SECRET_KEY") or ("" if PRODUCTION else _DEV_SECRET)
if PRODUCTION and not SECRET_KEY:
    raise RuntimeError("SECRET_KEY must be set when DJANGO_ENV=production")

DEBUG = env_bool(os.environ.get("DJANGO_DEBUG"), default=not PRODUCTION)
ALLOWED_HOSTS = env_list(
    os.environ.get("ALLOWED_HOSTS"), [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env_list(os.environ.get("CSRF_TRUSTED_ORIGINS"), [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_q",
    "django_htmx",
    "template_partials",
    "apps.core",
    "apps.projects",
    "apps.accounts",
    "apps.audit",
    "apps.connectors",
    "apps.ledger",
    "apps.sync",
    "apps.exceptions",
    "apps.monitoring",
    "apps.simulators",
    "apps.reports",
    "apps.approvals",
    "apps.procurement",
    "apps.schedule",
    "apps.documents",
    "apps.banking",
    "apps.billing",
    "apps.feeds",
    "apps.workflows",
    "apps.entities",
    "apps.compliance",
    "apps.vendors",
    "apps.field",
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
    "apps.core.middleware.SecurityHeadersMiddleware",
    "apps.core.middleware.ApplicationErrorMiddleware",
]

ROOT_URLCONF = "integrationhub.urls"
WSGI_APPLICATION = "integrationhub.wsgi.application"
ASGI_APPLICATION = "integrationhub.asgi.application"

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
                "apps.accounts.context_processors.navigation",
            ],
        },
    }
]

DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'integrationhub.sqlite3'}"
DATABASES = {"default": database_from_url(DATABASE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"
LOGIN_THROTTLE_WINDOW_SECONDS = int(os.environ.get("LOGIN_THROTTLE_WINDOW_SECONDS", "900"))
LOGIN_MAX_FAILURES_PER_USER = int(os.environ.get("LOGIN_MAX_FAILURES_PER_USER", "5"))
LOGIN_MAX_FAILURES_PER_IP = int(os.environ.get("LOGIN_MAX_FAILURES_PER_IP", "20"))

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Without collectstatic (demo, tests) whitenoise serves straight from the finders.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG

# --- secrets at rest ---------------------------------------------------------------------------
# Comma-separated Fernet keys, newest first (MultiFernet). The dev default is derived from
# SECRET_KEY so the demo works with no variables; production must set FIELD_ENCRYPTION_KEYS.
FIELD_ENCRYPTION_KEYS = env_list(os.environ.get("FIELD_ENCRYPTION_KEYS"), [])
if PRODUCTION and not FIELD_ENCRYPTION_KEYS:
    raise RuntimeError("FIELD_ENCRYPTION_KEYS must be set when DJANGO_ENV=production")

# --- REST API -----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "apps.core.api.exception_handler",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "integrationhub API",
    "DESCRIPTION": "Governed integration between Odoo ERP and construction project platforms.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    "COMPONENT_SPLIT_REQUEST": True,
    # Interactive docs without a CDN: the sidecar package ships Swagger UI as static files.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several apps name a choice field "kind": give each choice set its own component name.
    "ENUM_NAME_OVERRIDES": {
        "SystemKindEnum": "apps.connectors.choices.SystemKind",
        "CommitmentKindEnum": "apps.procurement.choices.CommitmentKind",
        "InvoiceKindEnum": "apps.procurement.choices.InvoiceKind",
        "ChangeOrderKindEnum": "apps.procurement.choices.ChangeOrderKind",
        "ScheduleKindEnum": "apps.schedule.choices.ScheduleKind",
        "MappingKindEnum": "apps.sync.choices.MappingKind",
        "JobKindEnum": "apps.sync.choices.JobKind",
        "MatchTargetKindEnum": "apps.banking.choices.MatchTargetKind",
        "EventKindEnum": "apps.ledger.choices.EventKind",
        "AlertEventKindEnum": "apps.monitoring.choices.AlertEventKind",
        "DocumentKindEnum": "apps.compliance.choices.DocumentKind",
    },
    # The ingest endpoints are plain Django views (the hot path); this hook documents them.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "apps.ledger.schema.ingest_endpoints_document",
        "apps.core.api.api_error_responses_document",
    ],
}

# --- django-q2 ----------------------------------------------------------------------------------
# Our own rows drive retries (Transaction.next_attempt_at, the sweeper), so django-q2 only carries
# work: failed tasks are acknowledged (ack_failures), never re-run by q2 itself (max_attempts=1),
# and `retry` sits well above `timeout` so a slow task is never handed out twice.
REDIS_URL = os.environ.get("REDIS_URL", "")
_redis = redis_from_url(REDIS_URL)
Q_CLUSTER = {
    "name": "integrationhub",
    "workers": int(os.environ.get("Q_WORKERS", "2")),
    "timeout": int(os.environ.get("Q_TIMEOUT", "120")),
    "retry": int(os.environ.get("Q_RETRY", "300")),
    "max_attempts": 1,
    "ack_failures": True,
    "catch_up": False,
    "save_limit": 1000,
    "queue_limit": 50,
    "bulk": 10,
    "poll": 0.5,
    "label": "Django Q2",
    "guard_cycle": 1,
}
if _redis:
    Q_CLUSTER["redis"] = _redis
else:
    Q_CLUSTER["orm"] = "default"

# How recent a worker heartbeat must be for /readyz.
WORKER_HEARTBEAT_MAX_AGE = int(os.environ.get("WORKER_HEARTBEAT_MAX_AGE", "120"))
READYZ_REQUIRE_WORKER = env_bool(os.environ.get("READYZ_REQUIRE_WORKER"), default=True)

# --- ingest -------------------------------------------------------------------------------------
INGEST_MAX_BODY_BYTES = int(os.environ.get("INGEST_MAX_BODY_BYTES", str(1024 * 1024)))
INGEST_MAX_FILE_BYTES = int(os.environ.get("INGEST_MAX_FILE_BYTES", str(50 * 1024 * 1024)))
WEBHOOK_TOLERANCE_SECONDS = int(os.environ.get("WEBHOOK_TOLERANCE_SECONDS", "300"))
# Batch ingest (POST /api/v1/inbound/<system>/batches): events per batch and body size.
FIELD_BATCH_MAX_EVENTS = int(os.environ.get("FIELD_BATCH_MAX_EVENTS", "500"))
INGEST_MAX_BATCH_BYTES = int(os.environ.get("INGEST_MAX_BATCH_BYTES", str(5 * 1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = max(INGEST_MAX_BODY_BYTES, 2_621_440)

# --- ledger -------------------------------------------------------------------------------------
# Ingest caches systems (with decoded signing keys) and project codes in-process this long;
# changes made in this process clear it at once, other processes see them within the TTL.
LEDGER_SYSTEM_CACHE_SECONDS = int(os.environ.get("LEDGER_SYSTEM_CACHE_SECONDS", "5"))
LEDGER_PROJECT_CACHE_SECONDS = int(os.environ.get("LEDGER_PROJECT_CACHE_SECONDS", "60"))
# A dispatcher's claim on a transaction; a killed worker's rows come back after it.
LEDGER_LEASE_SECONDS = int(os.environ.get("LEDGER_LEASE_SECONDS", "300"))
LEDGER_STUCK_SECONDS = int(os.environ.get("LEDGER_STUCK_SECONDS", "900"))
# Enqueue a django-q2 task per accepted event (a latency shortcut; the dispatcher finds the row
# anyway). With the ORM broker it is a second INSERT per request, so it is on by default only
# with the Redis broker (benchmarks/bench_ingest.py measures both).
LEDGER_ENQUEUE_ON_COMMIT = env_bool(
    os.environ.get("LEDGER_ENQUEUE_ON_COMMIT"), default=bool(_redis)
)
# PostgreSQL: run the ingest INSERT as a server-side prepared statement (planned once per
# connection). Turn off behind PgBouncer < 1.21 in transaction pooling mode.
LEDGER_PREPARED_INSERT = env_bool(os.environ.get("LEDGER_PREPARED_INSERT"), default=True)
# Benchmark-only baseline view (/api/v1/bench/bare-insert); never on in production.
LEDGER_BENCHMARK_VIEWS = env_bool(os.environ.get("LEDGER_BENCHMARK_VIEWS"), default=False)

# --- email / notifications ----------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "integrationhub@localhost")

# --- security -----------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool(os.environ.get("SECURE_SSL_REDIRECT"), default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    # /healthz and /readyz are probed over plain HTTP by the orchestrator.
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_secrets": {"()": "apps.core.logging.RedactSecretsFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_secrets"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}

STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
    "apps.core.staticfinders.PlotlyFinder",
]

# Monitoring (issue 10): /metrics answers a bearer token or a listed client address; with
# neither configured it answers nobody.
MONITORING_METRICS_TOKEN = os.environ.get("MONITORING_METRICS_TOKEN", "")
MONITORING_METRICS_ALLOWED_IPS = env_list(os.environ.get("MONITORING_METRICS_ALLOWED_IPS"), [])

# Construction groups (issue 13): the currency group reports convert to (three letters).
IHUB_GROUP_CURRENCY = env_currency(os.environ.get("IHUB_GROUP_CURRENCY"), "EUR")
