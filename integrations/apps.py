from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"

    def ready(self) -> None:
        from core.events import subscribe

        from .models import WebhookEvent
        from .services import webhook_event_handler, webhook_ledger_entries_handler

        # Outbound webhooks react to domain events published by the other apps.
        for event in WebhookEvent.values:
            subscribe(event, webhook_event_handler(event))
        # A bulk ledger append publishes one batched event; each entry is still delivered alone.
        subscribe("ledger.entries_appended", webhook_ledger_entries_handler)
