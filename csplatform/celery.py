"""The Celery app: the distributed engine behind the nightly run, rescoring and webhooks."""

import os

from celery import Celery, signals
from kombu.transport import TRANSPORT_ALIASES

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "csplatform.settings")

# redis:// (and redis+socket://) brokers use kombu's Redis transport with the restore-on-close
# failure taken out, so a Redis restart cannot kill a worker holding delayed tasks (see
# csplatform/broker.py).
for _scheme in ("redis", "rediss"):
    TRANSPORT_ALIASES[_scheme] = "csplatform.broker:Transport"

app = Celery("csplatform")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.celeryd_init.connect
@signals.beat_init.connect
def _refuse_without_services(**kwargs) -> None:
    """A production worker or beat without DATABASE_URL / REDIS_URL stops with one clear line
    (core/checks.py); SystemExit passes through Celery's signal dispatch, an exception not."""
    from django.core.exceptions import ImproperlyConfigured

    from core.checks import production_services_require

    try:
        production_services_require()
    except ImproperlyConfigured as exc:
        raise SystemExit(f"configuration error: {exc}") from None


@app.task(name="csplatform.ping")
def ping(value: int) -> int:
    """A trivial task used by health checks and tests to prove a worker answers."""
    return value + 1
