"""The Celery app: the distributed engine behind the nightly run, rescoring and webhooks."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "csplatform.settings")

app = Celery("csplatform")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="csplatform.ping")
def ping(value: int) -> int:
    """A trivial task used by health checks and tests to prove a worker answers."""
    return value + 1
