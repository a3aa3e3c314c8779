from tests.integrations.conftest import receiver  # noqa: F401 -- a webhook receiver on loopback
