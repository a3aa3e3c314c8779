from django.apps import AppConfig


class SuccessConfig(AppConfig):
    name = "success"
    verbose_name = "Success plans and interventions"

    def ready(self) -> None:
        from core.events import subscribe
        from success.services import interventions

        subscribe("health.band_changed", interventions.on_band_changed)
        subscribe("health.decay_alert", interventions.on_decay_alert)
        subscribe("health.quadrant_changed", interventions.on_quadrant_changed)
        subscribe("health.alerts_raised", interventions.on_alerts_raised)
        subscribe("health.run_completed", interventions.on_run_completed)
