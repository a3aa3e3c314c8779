from django.apps import AppConfig


class HealthscoresConfig(AppConfig):
    name = "healthscores"

    def ready(self) -> None:
        from core.events import subscribe

        from .services.rescore import on_inputs_changed

        # Between-night rescoring: a changed input queues the account (debounced).
        subscribe("account.inputs_changed", on_inputs_changed)
