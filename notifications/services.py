"""Telling people: turn domain events into notifications (once per person and event), send
the e-mails (held through quiet hours, retried with back-off), build the digests, and let a
person read and configure their notifications.

Everything here runs on a worker (outbox subscribers, beat tasks) except reading, marking
read and saving preferences, which are the person's own requests."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator

from accounts.models import Account
from core import formatting as fmt
from core.privacy import ErasureTerms, rows_redact
from core.retry import retry_backoff
from success.models import Cta, CtaNote, RuleKey
from users.models import Role, User

from .models import EmailStatus, Kind, Notification, NotificationPreference
from .selectors import daily_digest_content, preference_for, weekly_digest_content

logger = logging.getLogger(__name__)

DIGESTS = {Kind.DAILY_DIGEST, Kind.WEEKLY_DIGEST}
DECAY_ORDER = {"stable": 0, "decaying": 1, "in_decay": 2}
RED = "red"


@dataclass(frozen=True)
class Draft:
    """A notification to record for one person (before their preferences are applied)."""

    user_id: int
    kind: str
    key: str
    title: str
    body: str = ""
    link: str = ""
    account_id: int | None = None
    cta_id: int | None = None
    data: dict = field(default_factory=dict)


# --- quiet hours ----------------------------------------------------------------------------
def quiet_hours_end(moment: datetime, *, start: time, end: time, zone: ZoneInfo) -> datetime | None:
    """When the quiet hours that hold `moment` end (an aware datetime), or None outside them.

    Hours are wall-clock times in the person's zone; a window may span midnight (22:00–07:00);
    equal start and end mean no quiet hours."""
    if start == end:
        return None
    local = moment.astimezone(zone)
    now = local.time().replace(tzinfo=None)
    if start < end:
        if not start <= now < end:
            return None
        end_day = local.date()
    else:
        if end <= now < start:
            return None
        end_day = local.date() + timedelta(days=1) if now >= start else local.date()
    # A wall-clock end inside a daylight-saving gap normalises to the moment after it.
    return datetime.combine(end_day, end, tzinfo=zone).astimezone(ZoneInfo("UTC"))


def email_due_at(preference: NotificationPreference, moment: datetime) -> datetime:
    """Now, or when the person's quiet hours end: e-mails wait, they are never dropped."""
    if preference.quiet_hours_start is None or preference.quiet_hours_end is None:
        return moment
    held = quiet_hours_end(
        moment,
        start=preference.quiet_hours_start,
        end=preference.quiet_hours_end,
        zone=ZoneInfo(preference.zone_name),
    )
    return held or moment


# --- recording ------------------------------------------------------------------------------
def notifications_record(*, drafts: Iterable[Draft], now: datetime | None = None) -> int:
    """Record drafts as notifications under each person's preferences, once per (person, key):
    a draft whose key the person already has is skipped, so a retried event or a second beat
    changes nothing (the unique index decides between two concurrent writers; one insert needs
    no transaction of its own). E-mails are queued after the caller's commit. Returns how many
    drafts were new."""
    drafts = list(drafts)
    if not drafts:
        return 0
    now = now or timezone.now()
    user_ids = {d.user_id for d in drafts}
    people = {
        person.pk: person
        for person in User.objects.filter(pk__in=user_ids, is_active=True)
        .select_related("notification_preference")
        .only("pk", "email", "notification_preference")
    }
    emails = {pk: person.email for pk, person in people.items()}
    rows = []
    for draft in drafts:
        if draft.user_id not in people:
            continue  # inactive or gone
        preference = _preference_of(people[draft.user_id])
        if draft.kind in DIGESTS:
            in_app, by_email = False, preference.digest_enabled
        else:
            in_app = draft.kind in preference.in_app_kinds
            by_email = draft.kind in preference.email_kinds
        by_email = by_email and bool(emails[draft.user_id])
        if not (in_app or by_email):
            continue
        rows.append(
            Notification(
                user_id=draft.user_id,
                kind=draft.kind,
                key=draft.key[:200],
                title=draft.title[:200],
                body=draft.body,
                link=draft.link,
                account_id=draft.account_id,
                cta_id=draft.cta_id,
                data=draft.data,
                in_app=in_app,
                email_status=EmailStatus.PENDING if by_email else EmailStatus.NONE,
                email_due_at=email_due_at(preference, now) if by_email else None,
            )
        )
    known = set(
        Notification.objects.filter(
            user_id__in=user_ids, key__in={r.key for r in rows}
        ).values_list("user_id", "key")
    )
    # The CTAs opened for alerts the people were already told about: their notifications now
    # name them too (they still lead to the account, whose page shows the CTA), in one update
    # whatever the number of accounts.
    naming = {
        (r.user_id, r.key): r.cta_id for r in rows if r.cta_id and (r.user_id, r.key) in known
    }
    if naming:
        unnamed = [
            notification
            for notification in Notification.objects.filter(
                user_id__in={user_id for user_id, _ in naming},
                key__in={key for _, key in naming},
                cta__isnull=True,
            ).only("pk", "user_id", "key")
            if (notification.user_id, notification.key) in naming
        ]
        for notification in unnamed:
            notification.cta_id = naming[(notification.user_id, notification.key)]
        if unnamed:
            Notification.objects.bulk_update(unnamed, ["cta"])
            # The update holds those rows until our commit, and a sender running meanwhile
            # skips locked rows: send again after the commit so their e-mails do not wait for
            # the minute sweep.
            transaction.on_commit(_send_soon)
    rows = [r for r in rows if (r.user_id, r.key) not in known]
    if not rows:
        return 0
    # The unique (user, key) index is the arbiter when two workers record the same event.
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    if any(r.email_status == EmailStatus.PENDING for r in rows):
        transaction.on_commit(_send_soon)
    return len(rows)


def _preference_of(person: User) -> NotificationPreference:
    try:
        return person.notification_preference
    except NotificationPreference.DoesNotExist:
        return NotificationPreference(user_id=person.pk)


def _send_soon() -> None:
    """Queue the sender; a broker that does not answer leaves the e-mails to the minute sweep."""
    from .tasks import notification_emails_send_task

    try:
        notification_emails_send_task.delay()
    except Exception as exc:
        if getattr(notification_emails_send_task.app.conf, "task_always_eager", False):
            raise
        logger.warning("notifications: e-mails left for the sweeper (%s)", exc)


# --- from domain events (outbox subscribers: they run on a worker) --------------------------
def _account_link(account_id: int) -> str:
    return reverse("accounts:detail", args=[account_id])


def _alert_drafts(alerts: list[dict]) -> list[Draft]:
    """Drafts for the alerts people are told about: a drop to red and a worsening decay."""
    # A back-dated run (history rebuilt, a back-fill) raises alerts for past days: that is
    # history, not news, so only the last NOTIFY_ALERT_MAX_AGE_DAYS are told.
    oldest = (timezone.localdate() - timedelta(days=settings.NOTIFY_ALERT_MAX_AGE_DAYS)).isoformat()
    wanted = [a for a in alerts if _alert_kind(a) and str(a.get("as_of") or oldest) >= oldest]
    if not wanted:
        return []
    accounts = {
        row["pk"]: row
        for row in Account.objects.filter(
            pk__in={a["account_id"] for a in wanted}, owner__isnull=False
        ).values("pk", "name", "owner_id")
    }
    drafts = []
    for alert in wanted:
        account = accounts.get(alert["account_id"])
        if account is None:
            continue
        kind = _alert_kind(alert)
        as_of = alert.get("as_of") or timezone.localdate().isoformat()
        title, body = _alert_text(kind, account["name"], alert, as_of)
        drafts.append(
            Draft(
                user_id=account["owner_id"],
                kind=kind,
                key=f"{kind}:{account['pk']}:{as_of}",
                title=title,
                body=body,
                link=_account_link(account["pk"]),
                account_id=account["pk"],
            )
        )
    return drafts


def _alert_text(kind: str, name: str, alert: dict, as_of: str) -> tuple[str, str]:
    """The title and body of a red or decay alert (the CTA it opens says the same)."""
    if kind == Kind.BAND_RED:
        return f"{name} dropped to Red", (
            f"Health fell from {fmt.label(alert.get('from_band'))} to Red"
            f" (score {fmt.number(alert.get('score'))}) on {fmt.day(as_of)}."
        )
    return f"{name} is {fmt.label(alert.get('to_status')).lower()}", (
        f"Decay went from {fmt.label(alert.get('from_status')).lower()} to"
        f" {fmt.label(alert.get('to_status')).lower()}"
        f" (decay score {fmt.number(alert.get('decay_score'))}) on {fmt.day(as_of)}."
    )


def _alert_kind(alert: dict) -> str | None:
    event = alert.get("event")
    if event == "health.band_changed":
        if alert.get("to_band") == RED and alert.get("from_band") != RED:
            return Kind.BAND_RED
    elif event == "health.decay_alert":
        before = DECAY_ORDER.get(alert.get("from_status") or "stable", 0)
        if DECAY_ORDER.get(alert.get("to_status"), 0) > before:
            return Kind.DECAY
    return None


def on_alerts_raised(*, alerts: list[dict], **_) -> None:
    """health.alerts_raised: a score run's alerts, in one event."""
    notifications_record(drafts=_alert_drafts(alerts))


def on_band_changed(**payload) -> None:
    """health.band_changed: a single band move (outside a batched run)."""
    notifications_record(drafts=_alert_drafts([{"event": "health.band_changed", **payload}]))


def on_decay_alert(**payload) -> None:
    """health.decay_alert: a single decay crossing."""
    notifications_record(drafts=_alert_drafts([{"event": "health.decay_alert", **payload}]))


def _cta_drafts(ctas: Iterable[Cta], *, kind_for, key_for, title_for) -> list[Draft]:
    drafts = []
    for cta in ctas:
        if cta.owner_id is None:
            continue
        kind = kind_for(cta)
        drafts.append(
            Draft(
                user_id=cta.owner_id,
                kind=kind,
                key=key_for(cta, kind),
                title=title_for(cta, kind)[:200],
                body=f"{cta.reason} Due {fmt.day(cta.due_on)}.".strip(),
                link=cta.get_absolute_url(),
                account_id=cta.account_id,
                cta_id=cta.pk,
            )
        )
    return drafts


# A rule run that opens this many CTAs of one kind or more for one person tells them once,
# with the list, instead of once per CTA (the first evaluation of a book opens dozens).
CTA_GROUP_MIN = 4
CTA_GROUP_NAMES = 5


def _opened_alert(cta: Cta) -> dict | None:
    """The health alert a CTA was opened for, when there is one: the CTA that a drop to red or
    a worsening decay opens is the same news as the alert itself, so both go under the alert's
    kind and key and the person is told once, whichever arrives first (the notification names
    the CTA either way)."""
    rule = cta.rule.key if cta.rule_id else None
    evidence = cta.evidence or {}
    if not evidence.get("as_of"):
        return None
    if rule == RuleKey.BAND_DROPPED:
        alert = {**evidence, "event": "health.band_changed"}
    elif rule == RuleKey.DECAY and "to_status" in evidence:
        alert = {**evidence, "event": "health.decay_alert"}
    else:
        return None
    kind = _alert_kind(alert)
    return (
        {**alert, "kind": kind, "key": f"{kind}:{cta.account_id}:{alert['as_of']}"}
        if kind
        else None
    )


def _opened_drafts(ctas: list[Cta]) -> list[Draft]:
    drafts = []
    for cta in ctas:
        alert = _opened_alert(cta)
        if alert:
            title, body = _alert_text(alert["kind"], cta.account.name, alert, alert["as_of"])
            kind, key = alert["kind"], alert["key"]
            body = f"{body} A CTA is open for it, due {fmt.day(cta.due_on)}."
        elif cta.rule_id and cta.rule.key == RuleKey.RENEWAL_AT_RISK:
            kind, key = Kind.RENEWAL, f"cta_opened:{cta.pk}"
            title = (
                f"Renewal at risk: {cta.account.name} renews {fmt.day(cta.account.renewal_date)}"
            )
            body = f"{cta.reason} Due {fmt.day(cta.due_on)}."
        else:
            kind, key = Kind.CTA_ASSIGNED, f"cta_opened:{cta.pk}"
            title = f"New CTA for {cta.account.name}: {cta.title}"
            body = f"{cta.reason} Due {fmt.day(cta.due_on)}."
        drafts.append(
            Draft(
                user_id=cta.owner_id,
                kind=kind,
                key=key,
                title=title[:200],
                body=body.strip(),
                # An alert leads to the account (the news is about it; its page shows the CTA),
                # whichever of the two arrived first.
                link=_account_link(cta.account_id) if alert else cta.get_absolute_url(),
                account_id=cta.account_id,
                cta_id=cta.pk,
            )
        )
    return drafts


def _opened_group(owner_id: int, kind: str, ctas: list[Cta]) -> Draft:
    """One notification for many CTAs of one kind opened for one person by one rule run."""
    ctas = sorted(ctas, key=lambda cta: (cta.due_on, cta.account.name, cta.pk))
    if kind == Kind.RENEWAL:
        title = f"{len(ctas)} renewals at risk in your book"
        names = [f"{c.account.name} renews {fmt.day(c.account.renewal_date)}" for c in ctas]
        query = {"rule": RuleKey.RENEWAL_AT_RISK}
    else:
        rules = {cta.title for cta in ctas}
        title = f"{len(ctas)} new CTAs" + (
            f": {next(iter(rules))}" if len(rules) == 1 else " in your book"
        )
        names = [
            c.account.name if len(rules) == 1 else f"{c.account.name} ({c.title})" for c in ctas
        ]
        query = {"rule": ctas[0].rule.key} if len(rules) == 1 and ctas[0].rule_id else {}
    shown = "; ".join(names[:CTA_GROUP_NAMES])
    more = len(names) - CTA_GROUP_NAMES
    body = (
        f"{shown}{f'; and {more} more' if more > 0 else ''}. First due {fmt.day(ctas[0].due_on)}."
    )
    link = (
        reverse("success:cta_list") + "?" + urlencode({**query, "mine": "true", "status": "live"})
    )
    return Draft(
        user_id=owner_id,
        kind=kind,
        # The same CTAs (a retried event) make the same key: told once.
        key=f"ctas_opened:{kind}:{','.join(str(c.pk) for c in sorted(ctas, key=lambda c: c.pk))}"[
            :200
        ],
        title=title,
        body=body,
        link=link,
    )


def ctas_opened_notify(*, cta_ids: Iterable[int]) -> int:
    """Tell each CTA's owner it is theirs: a near renewal that is not green has its own kind,
    a CTA opened for a red or decay alert is that alert (told once), and many CTAs of one kind
    opened together for one person are one notification with the list."""
    ctas = Cta.objects.filter(pk__in=list(cta_ids), owner__isnull=False).select_related(
        "account", "rule"
    )
    single, grouped = [], {}
    for cta in ctas:
        if _opened_alert(cta):
            single.append(cta)
            continue
        kind = (
            Kind.RENEWAL
            if cta.rule_id and cta.rule.key == RuleKey.RENEWAL_AT_RISK
            else Kind.CTA_ASSIGNED
        )
        grouped.setdefault((cta.owner_id, kind), []).append(cta)
    drafts = []
    for (owner_id, kind), group in grouped.items():
        if len(group) >= CTA_GROUP_MIN:
            drafts.append(_opened_group(owner_id, kind, group))
        else:
            single.extend(group)
    return notifications_record(drafts=drafts + _opened_drafts(single))


def on_cta_opened(*, cta_id: int, **_) -> None:
    """cta.opened"""
    ctas_opened_notify(cta_ids=[cta_id])


def on_ctas_opened(*, ctas: list[dict], **_) -> None:
    """ctas.opened: a rule run's CTAs, in one event."""
    ctas_opened_notify(cta_ids=[c["cta_id"] for c in ctas])


def on_cta_assigned(
    *, cta_id: int, owner_id: int, previous_owner_id=None, assigned_by_id=None, **_
) -> None:
    """cta.assigned: a live CTA handed to someone; they are told (unless they took it
    themselves). Keyed by the hand-over, so a retried event tells them once."""
    if owner_id is None or owner_id == assigned_by_id:
        return
    cta = Cta.objects.filter(pk=cta_id).select_related("account").first()
    if cta is None:
        return
    by = User.objects.filter(pk=assigned_by_id).first() if assigned_by_id else None
    notifications_record(
        drafts=[
            Draft(
                user_id=owner_id,
                kind=Kind.CTA_ASSIGNED,
                key=f"cta_assigned:{cta.pk}:{previous_owner_id}:{owner_id}",
                title=f"{by.display_name if by else 'Someone'} assigned you a CTA: {cta.title}"
                f" ({cta.account.name})"[:200],
                body=f"{cta.reason} Due {fmt.day(cta.due_on)}.".strip(),
                link=cta.get_absolute_url(),
                account_id=cta.account_id,
                cta_id=cta.pk,
            )
        ]
    )


def on_cta_mentioned(*, cta_id: int, note_id: int, user_ids: list[int], author_id=None, **_):
    """cta.mentioned: the people a CTA note @mentions (the author is left out by the
    publisher); once per note and person."""
    cta = Cta.objects.filter(pk=cta_id).select_related("account").first()
    if cta is None:
        return
    author = User.objects.filter(pk=author_id).first() if author_id else None
    who = author.display_name if author else "Someone"
    note = CtaNote.objects.filter(pk=note_id).only("body").first()
    excerpt = f"“{Truncator(note.body).chars(280)}”" if note else ""
    notifications_record(
        drafts=[
            Draft(
                user_id=user_id,
                kind=Kind.MENTION,
                key=f"mention:{note_id}",
                title=f"{who} mentioned you on {cta.title} ({cta.account.name})"[:200],
                body=excerpt or "Open the CTA to read the note and reply.",
                link=f"{cta.get_absolute_url()}#note-{note_id}",
                account_id=cta.account_id,
                cta_id=cta.pk,
            )
            for user_id in user_ids
            if user_id != author_id
        ]
    )


def ctas_overdue_notify(*, today: date) -> int:
    """Tell owners about live CTAs that passed their due date in the last week (once per CTA
    and due date: a CTA given a new date and missing it again is told again; a snoozed one
    only once its snooze has ended)."""
    ctas = (
        Cta.objects.overdue(today)  # live, not snoozed, past due: what reminders nag about
        .filter(
            owner__isnull=False,
            due_on__gte=today - timedelta(days=settings.NOTIFY_OVERDUE_LOOKBACK_DAYS),
        )
        .select_related("account")
    )
    return notifications_record(
        drafts=_cta_drafts(
            ctas,
            kind_for=lambda cta: Kind.CTA_OVERDUE,
            key_for=lambda cta, kind: f"cta_overdue:{cta.pk}:{cta.due_on.isoformat()}",
            title_for=lambda cta, kind: (
                f"Overdue since {fmt.day(cta.due_on)}: {cta.title} ({cta.account.name})"
            ),
        )
    )


# --- digests ------------------------------------------------------------------------------
def _local(now: datetime, preference: NotificationPreference) -> datetime:
    return now.astimezone(ZoneInfo(preference.zone_name))


def digests_record(*, now: datetime | None = None) -> int:
    """Record the digests that are due: each CSM's daily one once their local clock has
    passed NOTIFY_DIGEST_HOUR, each manager's weekly one once it has passed that hour on
    NOTIFY_WEEKLY_DIGEST_WEEKDAY (their local day; a week whose day beat missed entirely is
    not caught up later). Keyed by the period, so beat may run this as often as it likes (and
    twice at once): nobody gets a period's digest twice."""
    now = now or timezone.now()
    people = list(
        User.objects.filter(is_active=True, role__in=[Role.CSM, Role.MANAGER]).exclude(email="")
    )
    preferences = NotificationPreference.objects.in_bulk([p.pk for p in people])
    due: list[tuple[User, str, date]] = []  # (person, key, their local date)
    for person in people:
        preference = preferences.get(person.pk) or NotificationPreference(user_id=person.pk)
        if not preference.digest_enabled:
            continue
        local = _local(now, preference)
        if local.hour < settings.NOTIFY_DIGEST_HOUR:
            continue
        if person.role == Role.CSM:
            due.append((person, f"daily_digest:{local.date().isoformat()}", local.date()))
        elif local.weekday() == settings.NOTIFY_WEEKLY_DIGEST_WEEKDAY:
            week_start = local.date() - timedelta(days=local.weekday())
            due.append((person, f"weekly_digest:{week_start.isoformat()}", local.date()))
    sent = set(
        Notification.objects.filter(
            user__in=[person for person, _, _ in due], key__in={key for _, key, _ in due}
        ).values_list("user_id", "key")
    )
    drafts = [
        draft
        for person, key, today in due
        if (person.pk, key) not in sent and (draft := _digest(person, key, today)) is not None
    ]
    return notifications_record(drafts=drafts, now=now)


def _digest(user: User, key: str, today: date) -> Draft | None:
    """The person's digest for the period `key` names, or None when there is nothing to say."""
    if key.startswith("daily_digest:"):
        content = daily_digest_content(user=user, today=today)
        kind, link, title = Kind.DAILY_DIGEST, reverse("dashboards:home"), "Your day, {day}"
    else:
        content = weekly_digest_content(user=user, today=today)
        kind, link = Kind.WEEKLY_DIGEST, reverse("dashboards:portfolio")
        title = "Your teams' week of {day}"
    if content is None:
        return None
    day = date.fromisoformat(key.split(":", 1)[1])
    return Draft(
        user_id=user.pk,
        kind=kind,
        key=key,
        title=f"{title.format(day=fmt.day(day))}: {content['headline']}",
        body=content["headline"],
        link=link,
        data=content,
    )


# --- sending e-mail -----------------------------------------------------------------------
def _absolute(link: str) -> str:
    if not link:
        return settings.SITE_URL.rstrip("/") + "/"
    return settings.SITE_URL.rstrip("/") + link


def notification_email(notification: Notification) -> EmailMultiAlternatives:
    """The e-mail for one notification: plain text and HTML, links absolute (SITE_URL)."""
    context = {
        "notification": notification,
        "user": notification.user,
        "url": _absolute(notification.link),
        "preferences_url": _absolute(reverse("notifications:preferences")),
        "site_url": settings.SITE_URL.rstrip("/"),
        "data": notification.data,
    }
    name = "digest" if notification.kind in DIGESTS else "notification"
    message = EmailMultiAlternatives(
        subject=notification.title,
        body=render_to_string(f"notifications/email/{name}.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.user.email],
    )
    message.attach_alternative(
        render_to_string(f"notifications/email/{name}.html", context), "text/html"
    )
    return message


def _claim(now: datetime, limit: int) -> list[Notification]:
    """Take up to `limit` due e-mails for this sender: rows locked by another sender are
    skipped, and a claim keeps the rest of the senders off them while this one sends."""
    with transaction.atomic():
        rows = list(
            Notification.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(email_status=EmailStatus.PENDING, email_due_at__lte=now)
            .filter(Q(email_claimed_until__isnull=True) | Q(email_claimed_until__lt=now))
            .select_related("user")
            .order_by("email_due_at", "pk")[:limit]
        )
        if rows:
            Notification.objects.filter(pk__in=[r.pk for r in rows]).update(
                email_claimed_until=now + timedelta(seconds=settings.NOTIFY_EMAIL_CLAIM_SECONDS)
            )
    return rows


def notification_emails_send(*, limit: int | None = None) -> dict[str, int]:
    """Send the e-mails that are due (quiet hours over, back-off passed) over one connection.

    A failure is recorded and retried with back-off (failed after NOTIFY_EMAIL_MAX_ATTEMPTS).
    The outcomes are written when the batch ends, however it ends (an error, a soft time
    limit), in a constant number of queries; only a worker killed outright mid-batch leaves
    its accepted e-mails unmarked, to be sent again when the claim runs out. Returns counts
    by outcome."""
    now = timezone.now()
    rows = _claim(now, limit or settings.NOTIFY_EMAIL_BATCH)
    counts = {"sent": 0, "retry": 0, "failed": 0}
    if not rows:
        return counts
    sent: list[int] = []
    failed: list[Notification] = []
    connection = get_connection(fail_silently=False)
    try:
        for row in rows:
            try:
                connection.send_messages([notification_email(row)])
            except Exception as exc:
                logger.warning("notifications: e-mail %s failed: %s", row.pk, exc)
                row.email_attempts += 1
                gave_up = row.email_attempts >= settings.NOTIFY_EMAIL_MAX_ATTEMPTS
                row.email_status = EmailStatus.FAILED if gave_up else EmailStatus.PENDING
                row.email_due_at = now + retry_backoff(
                    row.email_attempts,
                    base_seconds=settings.NOTIFY_EMAIL_RETRY_BASE_SECONDS,
                    cap_seconds=3600,
                )
                row.email_claimed_until = None
                row.email_error = f"{type(exc).__name__}: {exc}"[:1000]
                failed.append(row)
                counts["failed" if gave_up else "retry"] += 1
            else:
                sent.append(row.pk)
                counts["sent"] += 1
    finally:
        connection.close()
        _outcomes_save(sent, failed)
    return counts


def _outcomes_save(sent: list[int], failed: list[Notification]) -> None:
    if sent:
        Notification.objects.filter(pk__in=sent).update(
            email_attempts=F("email_attempts") + 1,
            email_status=EmailStatus.SENT,
            emailed_at=timezone.now(),
            email_claimed_until=None,
            email_error="",
        )
    if failed:
        Notification.objects.bulk_update(
            failed,
            [
                "email_attempts",
                "email_status",
                "email_due_at",
                "email_claimed_until",
                "email_error",
            ],
        )


# --- privacy ----------------------------------------------------------------------------------
def notifications_erase(terms: ErasureTerms) -> int:
    """Redact an erased person from notification titles, texts and digest rows (e-mails
    already sent are beyond reach); returns the rows changed."""
    rows = Notification.objects.all()
    return (
        rows_redact(rows, "title", terms)
        + rows_redact(rows, "body", terms)
        + rows_redact(rows, "data", terms, json=True)
    )


# --- a person's own inbox and settings ------------------------------------------------------
@transaction.atomic
def notification_mark_read(*, notification: Notification, read: bool = True) -> Notification:
    """Mark one of a person's notifications read (or unread again)."""
    notification.read_at = (notification.read_at or timezone.now()) if read else None
    notification.save(update_fields=["read_at"])
    return notification


@transaction.atomic
def notifications_mark_all_read(*, user: User) -> int:
    """Mark every unread in-app notification of `user` read; returns how many changed."""
    return Notification.objects.filter(user=user, in_app=True, read_at__isnull=True).update(
        read_at=timezone.now()
    )


@transaction.atomic
def notification_preference_update(*, user: User, **changes) -> NotificationPreference:
    """Save a person's notification preferences (only the fields given change)."""
    preference = preference_for(user)
    for name, value in changes.items():
        setattr(preference, name, value)
    preference.full_clean()
    preference.save()
    return preference
