"""Celery tasks of the users app (thin: each calls one service)."""

from celery import shared_task
from django.contrib.sessions.backends.db import SessionStore


@shared_task(name="users.tasks.sessions_clear_expired")
def sessions_clear_expired() -> None:
    """Delete expired sign-in sessions (they live in PostgreSQL, django_session)."""
    SessionStore.clear_expired()
