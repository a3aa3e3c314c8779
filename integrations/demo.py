"""Demo integrations: one example webhook, disabled, so nothing is sent anywhere by default."""

from .models import Webhook, WebhookEvent
from .services import webhook_secret_generate

EXAMPLE_URL = "http://127.0.0.1:9999/csplatform-webhook"


def seed(*, rng, today, stdout, **_) -> None:
    _hook, created = Webhook.objects.get_or_create(
        name="Example receiver (disabled)",
        defaults={
            "url": EXAMPLE_URL,
            "events": list(WebhookEvent.values),
            "secret": webhook_secret_generate(),
            "active": False,
        },
    )
    if created:
        stdout.write("integrations: example webhook added (disabled)\n")
