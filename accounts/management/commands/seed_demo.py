"""`manage.py seed_demo`: a realistic demo organisation, safe to re-run."""

import importlib
import logging
import random

from django.core.management.base import BaseCommand
from django.utils import timezone

# Each app that contributes demo data has a `demo.py` with `seed(*, rng, today, stdout)`;
# they run in this order because later data builds on earlier data.
DEMO_STEPS = [
    "users.demo",
    "accounts.demo",
    "scorecards.demo",
    "success.demo",
    "healthscores.demo",
    "integrations.demo",
]


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
        for module_name in DEMO_STEPS:
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError as exc:
                if exc.name == module_name:
                    continue
                raise
            module.seed(rng=rng, today=today, stdout=self.stdout, accounts=options["accounts"])
        from users.demo import print_logins

        print_logins(self.stdout)
