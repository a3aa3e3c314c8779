from django.apps import AppConfig


class SuccessConfig(AppConfig):
    name = "success"
    verbose_name = "Success plans and interventions"

    def ready(self) -> None:
        from core.events import subscribe
        from healthscores.hooks import plan_progress_reader_register
        from success.selectors import plan_progress_by_account
        from success.services import interventions

        # Health scoring reads plan progress through the hook it exposes (it sits below us).
        plan_progress_reader_register(plan_progress_by_account)

        subscribe("health.band_changed", interventions.on_band_changed)
        subscribe("health.decay_alert", interventions.on_decay_alert)
        subscribe("health.quadrant_changed", interventions.on_quadrant_changed)
        subscribe("health.alerts_raised", interventions.on_alerts_raised)
        subscribe("health.run_completed", interventions.on_run_completed)
