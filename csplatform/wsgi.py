"""WSGI entry point for gunicorn."""

import os
import sys

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "csplatform.settings")

try:
    from core.checks import production_services_require

    # Production without DATABASE_URL / REDIS_URL: refuse to serve (core/checks.py).
    production_services_require()
    application = get_wsgi_application()
except ImproperlyConfigured as exc:
    # One clear line; exit code 4 is gunicorn's "App failed to load": it stops, instead of
    # booting workers again and again.
    sys.stderr.write(f"configuration error: {exc}\n")
    sys.exit(4)
