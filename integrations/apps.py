from django.apps import AppConfig


class IntegrationsConfig(AppConfig):
    name = "integrations"

    def ready(self) -> None:
        from core.events import subscribe
        from core.privacy import eraser_register
        from core.tasks import sweeper_register

        from .models import WebhookEvent
        from .services import (
            webhook_alerts_handler,
            webhook_ctas_handler,
            webhook_deliveries_erase,
            webhook_deliveries_sweep,
            webhook_event_handler,
            webhook_ledger_entries_handler,
        )

        # Outbound webhooks react to domain events published by the other apps.
        for event in WebhookEvent.values:
            subscribe(event, webhook_event_handler(event))
        # A bulk ledger append publishes one batched event; each entry is still delivered alone.
        subscribe("ledger.entries_appended", webhook_ledger_entries_handler)
        # ... and so do a score run's health alerts and a rule run's CTAs.
        subscribe("health.alerts_raised", webhook_alerts_handler)
        subscribe("ctas.opened", webhook_ctas_handler)
        # Deliveries whose task was lost are re-sent by core's minute sweep.
        sweeper_register("webhooks", webhook_deliveries_sweep)
        # A contact's erasure redacts the person from logged delivery payloads too.
        eraser_register("webhook deliveries", webhook_deliveries_erase)
