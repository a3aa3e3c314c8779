"""`manage.py seed_demo`: a realistic demo organisation, safe to re-run."""

import importlib
import logging
import random

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

from users.demo import print_logins


class Command(BaseCommand):
    help = "Create (or complete) the demo organisation: teams, users, segments, accounts, history."

    def add_arguments(self, parser):
        parser.add_argument("--accounts", type=int, default=300, help="Number of demo accounts.")
        parser.add_argument("--seed", type=int, default=20261123, help="Random seed.")

    def handle(self, *args, **options):
        # Each back-dated score run logs a line; the progress bars say the same, more quietly.
        logging.getLogger("healthscores").setLevel(logging.WARNING)
        rng = random.Random(options["seed"])
        today = timezone.localdate()
        # Each app that contributes demo data is listed in settings.DEMO_STEPS, in order:
        # "module" runs module.seed, "module:function" that function.
        for step in settings.DEMO_STEPS:
            module_name, _, function = step.partition(":")
            module = importlib.import_module(module_name)
            getattr(module, function or "seed")(
                rng=rng, today=today, stdout=self.stdout, accounts=options["accounts"]
            )
        print_logins(self.stdout)
