from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The bottom layer: shared plumbing (the API's errors, fields, paging, idempotency), the
    event outbox and the shared counters."""

    name = "core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks  # noqa: F401 -- registers the production start-up check
        from .dates import install_date_bounds

        # Every date/datetime a form, filter or serializer accepts is held to sane years.
        install_date_bounds()
