"""Notifications for page and API tests, recorded the way the fan-out records them."""

from notifications.models import Kind
from notifications.services import Draft, notifications_record


def notify(user, n: int = 1, kind: str = Kind.BAND_RED, account=None) -> None:
    notifications_record(
        drafts=[
            Draft(
                user_id=user.pk,
                kind=kind,
                key=f"test:{user.pk}:{kind}:{i}",
                title=f"{user.username} alert {i}",
                body="Health fell from Green to Red.",
                link=f"/accounts/{account.pk}/" if account else "",
                account_id=account.pk if account else None,
            )
            for i in range(n)
        ]
    )
