#!/usr/bin/env python
"""Django's command-line utility for csplatform."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "csplatform.settings")
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        from django.conf import settings

        settings.INSTALLED_APPS  # noqa: B018 -- load settings now so a bad one fails here, clearly
        execute_from_command_line(sys.argv)
    except ImproperlyConfigured as exc:
        # Bad configuration is an operator error: one clear line, no traceback.
        sys.stderr.write(f"configuration error: {exc}\n")
        sys.exit(2)


if __name__ == "__main__":
    main()
