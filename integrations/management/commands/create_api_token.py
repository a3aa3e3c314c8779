"""`manage.py create_api_token <username> [--scopes read write] [--name NAME]`."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from core.api.scopes import Scope
from integrations.services import api_token_create
from users.models import User


class Command(BaseCommand):
    help = "Create an API token for a user and print its key (shown only this once)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--scopes",
            nargs="+",
            default=[Scope.READ],
            help=f"One or more of: {', '.join(Scope.values)} (default: read).",
        )
        parser.add_argument("--name", default="command line", help="A label for the token.")

    def handle(self, *args, username, scopes, name, **options):
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"no active user named {username!r}")
        try:
            token, key = api_token_create(user=user, name=name, scopes=scopes)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        self.stderr.write(
            f"Created token {token.prefix}… for {username} with scopes {', '.join(token.scopes)}."
            " Store the key now; it cannot be shown again."
        )
        self.stdout.write(key)
