from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The bottom layer: shared plumbing (the API's errors, fields, paging, idempotency)."""

    name = "core"
    default_auto_field = "django.db.models.BigAutoField"
