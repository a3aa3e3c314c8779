"""The scopes an API token can hold (the token model lives in integrations)."""

from django.db import models


class Scope(models.TextChoices):
    """What an API token may do; a token holds one or more scopes.

    read: safe methods. write: create/change records (accounts, contacts, interactions, ledger,
    plans, CTAs). ingest: the bulk and usage endpoints (pipelines). admin: configuration
    resources (segments, ICPs, scorecards, score runs, webhooks) — the user must be an admin too.
    """

    READ = "read", "Read"
    WRITE = "write", "Write"
    INGEST = "ingest", "Ingest (bulk, usage)"
    ADMIN = "admin", "Admin (configuration)"
