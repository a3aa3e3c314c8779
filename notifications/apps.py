from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        from core.events import subscribe
        from core.privacy import eraser_register
        from core.tasks import sweeper_register

        from . import services

        # People hear about health alerts and CTAs through the outbox, on a worker: never in
        # the request that caused them, and once per person and event.
        subscribe("health.alerts_raised", services.on_alerts_raised)
        subscribe("health.band_changed", services.on_band_changed)
        subscribe("health.decay_alert", services.on_decay_alert)
        subscribe("cta.opened", services.on_cta_opened)
        subscribe("ctas.opened", services.on_ctas_opened)
        # Published by the CTA work in success (reassign, notes with @mentions).
        subscribe("cta.assigned", services.on_cta_assigned)
        subscribe("cta.mentioned", services.on_cta_mentioned)
        # E-mails held through quiet hours or waiting for a retry go out with the minute sweep.
        sweeper_register("notification-emails", services.notification_emails_send)
        # An erased contact's name may sit in a notification's title, text or digest rows.
        eraser_register("notifications", services.notifications_erase)
