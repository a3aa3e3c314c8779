"""Start-up checks: a production process that serves or changes data refuses to start without
the servers it needs.

The settings load without `DATABASE_URL` / `REDIS_URL` (so `collectstatic` runs in the image
build, where neither exists) and list what is missing in `settings.PRODUCTION_SERVICES_MISSING`.
Every serving entry point stops on it with the same message:

- management commands that run the system checks (`migrate`, `check`, `runserver`,
  `seed_demo`, ...): the check below, an Error; `collectstatic` runs only the staticfiles
  checks, so it is not stopped;
- gunicorn: `csplatform/wsgi.py` calls `production_services_require()` before loading Django's
  handler, so the worker fails to boot and gunicorn exits;
- the Celery worker and beat: `csplatform/celery.py` calls it when they start.
"""

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured


def production_services_message() -> str | None:
    missing = getattr(settings, "PRODUCTION_SERVICES_MISSING", [])
    if not missing:
        return None
    return f"{' and '.join(missing)} must be set when CSPLATFORM_ENV=production"


@checks.register()
def production_services(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    message = production_services_message()
    if message is None:
        return []
    return [
        checks.Error(
            message,
            hint="Give the process its servers' URLs (README, Configuration); of the "
            "management commands only collectstatic runs without them.",
            id="csplatform.E001",
        )
    ]


def production_services_require() -> None:
    """Raise ImproperlyConfigured when production lacks a server URL (gunicorn, Celery)."""
    message = production_services_message()
    if message is not None:
        raise ImproperlyConfigured(message)
