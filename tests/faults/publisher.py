"""A web process's part in the outbox fault drills, run as its own process:

    python -m tests.faults.publisher ACCOUNT_ID COUNT [--die-at-dispatch]

appends COUNT goodwill entries to the account (each publishes `ledger.entry_appended`), each
in its own transaction as a request would. With --die-at-dispatch they commit together and
the process SIGKILLs itself at the moment the committed events would be handed to the broker.
"""

import os
import signal
import sys

import django


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "csplatform.settings")
    django.setup()
    from django.db import transaction

    from accounts.models import Account
    from accounts.services import trust_entry_append
    from core import events

    account_id, count = int(argv[0]), int(argv[1])
    account = Account.objects.get(pk=account_id)

    def append(n: int) -> None:
        trust_entry_append(account=account, points=1, reason=f"fault drill {n}", source="manual")

    if "--die-at-dispatch" in argv:
        events.outbox_dispatch = lambda ids: os.kill(os.getpid(), signal.SIGKILL)
        with transaction.atomic():
            for n in range(count):
                append(n)
        return 3  # not reached: the process died after the commit, before any dispatch
    for n in range(count):
        append(n)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
