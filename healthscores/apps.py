from django.apps import AppConfig


class HealthscoresConfig(AppConfig):
    name = "healthscores"

    def ready(self) -> None:
        from core.events import subscribe
        from scorecards.hooks import health_previews_register

        from .services import scorecard_coverage, scorecard_impact_preview
        from .services.rescore import on_inputs_changed

        # The scorecard editor (below us) previews a draft and its data coverage through these.
        health_previews_register(
            impact_preview=scorecard_impact_preview, coverage=scorecard_coverage
        )

        # Between-night rescoring: a changed input queues the account (debounced).
        subscribe("account.inputs_changed", on_inputs_changed)
