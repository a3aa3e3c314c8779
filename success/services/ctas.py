"""Working a CTA once it is open: status, close with an outcome, notes with @mentions,
reassign, snooze, due date, playbook checkboxes, and the bulk versions the list page and the
API share.

Every change that someone else should hear about publishes a domain event (core/events.py):
`cta.assigned` (reassigned), `cta.mentioned` (a note mentions users), `cta.closed`.
"""

import re
from collections.abc import Callable, Iterable
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from core.events import publish
from core.formatting import day
from success.models import Cta, CtaNote, CtaOutcome, CtaStatus, CtaStep
from users.models import Role, User

# `@alice`, `@j.doe`: a word after whitespace or an opening bracket (never inside an e-mail
# address). A trailing full stop is punctuation, not part of the name.
MENTION = re.compile(r"(?<![\w@.+-])@([\w.+-]+)")
MAX_MENTIONS = 20
NOTE_MAX_LENGTH = 5000
SNOOZE_MAX_DAYS = 365
DUE_MAX_DAYS = 366
BULK_MAX = 200

# Closing through the status alone (the older PATCH) records the outcome it implies.
STATUS_DEFAULT_OUTCOME = {
    CtaStatus.DONE: CtaOutcome.RESOLVED,
    CtaStatus.DISMISSED: CtaOutcome.NO_ACTION_NEEDED,
}


def _require_live(cta: Cta, doing: str) -> None:
    if not cta.is_live:
        raise ValidationError(f"This CTA is closed: reopen it to {doing}.", code="conflict")


def _published_closed(cta: Cta) -> None:
    publish(
        "cta.closed",
        cta_id=cta.pk,
        account_id=cta.account_id,
        status=cta.status,
        outcome=cta.outcome,
        closed_by_id=cta.closed_by_id,
    )


# --- status and closing --------------------------------------------------------------------
@transaction.atomic
def cta_status_set(*, cta: Cta, status: str, user=None) -> Cta:
    """Move a CTA to open / in progress / done / dismissed. Closing this way records the
    outcome the status implies (done: resolved; dismissed: no action needed); reopening
    clears the outcome, its note and any snooze."""
    if status not in CtaStatus.values:
        raise ValidationError({"status": ["Unknown status."]})
    if status == cta.status:
        return cta
    closing = status not in CtaStatus.live()
    was_live = cta.is_live
    cta.status = status
    cta.closed_at = timezone.now() if closing else None
    cta.closed_by = user if closing else None
    if closing:
        cta.outcome = cta.outcome if not was_live else STATUS_DEFAULT_OUTCOME[status]
        cta.snoozed_until = None
    elif not was_live:
        cta.outcome, cta.close_note = "", ""
    try:
        with transaction.atomic():
            cta.save(
                update_fields=[
                    "status",
                    "closed_at",
                    "closed_by",
                    "outcome",
                    "close_note",
                    "snoozed_until",
                ]
            )
    except IntegrityError:
        raise ValidationError(
            "Another CTA of this rule is already open for the account.", code="conflict"
        ) from None
    if closing and was_live:
        _published_closed(cta)
    return cta


@transaction.atomic
def cta_close(*, cta: Cta, outcome: str, note: str = "", user=None) -> Cta:
    """Close a live CTA with how it ended and an optional note ("No action needed" closes it
    as Dismissed, every other outcome as Done)."""
    if outcome not in CtaOutcome.values:
        raise ValidationError({"outcome": ["Pick one of: " + ", ".join(CtaOutcome.values) + "."]})
    if not cta.is_live:
        raise ValidationError("This CTA is already closed.", code="conflict")
    cta.status = CtaOutcome(outcome).closes_as
    cta.outcome, cta.close_note = outcome, note.strip()
    cta.closed_at, cta.closed_by = timezone.now(), user
    cta.snoozed_until = None
    cta.save(
        update_fields=[
            "status",
            "outcome",
            "close_note",
            "closed_at",
            "closed_by",
            "snoozed_until",
        ]
    )
    _published_closed(cta)
    return cta


# --- assignment ------------------------------------------------------------------------------
@transaction.atomic
def cta_reassign(*, cta: Cta, owner: User, user=None) -> Cta:
    """Hand a live CTA to another active user; publishes `cta.assigned` (nothing when the
    owner does not change)."""
    _require_live(cta, "reassign it")
    if not owner.is_active:
        raise ValidationError(
            {"owner": [ValidationError(f"{owner.username} is deactivated.", "does_not_exist")]}
        )
    if owner.pk == cta.owner_id:
        return cta
    previous = cta.owner_id
    cta.owner = owner
    cta.save(update_fields=["owner"])
    publish(
        "cta.assigned",
        cta_id=cta.pk,
        account_id=cta.account_id,
        owner_id=owner.pk,
        previous_owner_id=previous,
        assigned_by_id=getattr(user, "pk", None),
    )
    return cta


# --- dates -----------------------------------------------------------------------------------
@transaction.atomic
def cta_snooze(*, cta: Cta, until: date | None, user=None) -> Cta:
    """Hide a live CTA from the open lists until `until` (it comes back on that day by itself,
    nothing runs); None wakes it now."""
    _require_live(cta, "snooze it")
    today = timezone.localdate()
    if until is not None and not today < until <= today + timedelta(days=SNOOZE_MAX_DAYS):
        raise ValidationError(
            {
                "until": [
                    f"Snooze until a day after today and at most {SNOOZE_MAX_DAYS} days ahead "
                    f"({day(today + timedelta(days=1))} to "
                    f"{day(today + timedelta(days=SNOOZE_MAX_DAYS))})."
                ]
            }
        )
    cta.snoozed_until = until
    cta.save(update_fields=["snoozed_until"])
    return cta


@transaction.atomic
def cta_due_date_set(*, cta: Cta, due_on: date, user=None) -> Cta:
    """Move a live CTA's due date (not before the day it opened, at most a year ahead)."""
    _require_live(cta, "change its due date")
    opened = timezone.localdate(cta.opened_at)
    latest = timezone.localdate() + timedelta(days=DUE_MAX_DAYS)
    if not opened <= due_on <= latest:
        # The API bounds the latest day in the schema; before the CTA opened is about this
        # CTA as it stands (409 there).
        raise ValidationError(
            {
                "due_on": [
                    ValidationError(
                        f"Pick a day from {day(opened)} (when it opened) to {day(latest)}.",
                        code="conflict",
                    )
                ]
            }
        )
    cta.due_on = due_on
    cta.save(update_fields=["due_on"])
    return cta


# --- notes and mentions ----------------------------------------------------------------------
def cta_viewers(cta: Cta) -> QuerySet:
    """The active users who may see `cta`: its owner, the account's CSM, that CSM's manager
    and the admins (the same rule as `Account.objects.for_user`, plus the assignee)."""
    account_owner = cta.account.owner_id
    return User.objects.filter(is_active=True).filter(
        Q(role=Role.ADMIN)
        | Q(is_superuser=True)
        | Q(pk__in=[pk for pk in (account_owner, cta.owner_id) if pk])
        | Q(role=Role.MANAGER, led_teams__members__pk=account_owner)
    )


def mentioned_usernames(body: str) -> list[str]:
    """The distinct `@names` in a note, in order of first appearance."""
    seen: dict[str, str] = {}
    for raw in MENTION.findall(body):
        name = raw.rstrip(".")
        if name and name.lower() not in seen:
            seen[name.lower()] = name
    return list(seen.values())


def _resolve_mentions(cta: Cta, names: list[str]) -> list[User]:
    if len(names) > MAX_MENTIONS:
        raise ValidationError({"body": [f"Mention at most {MAX_MENTIONS} people in one note."]})
    if not names:
        return []
    query = Q()
    for name in names:
        query |= Q(username__iexact=name)
    found = {u.username.lower(): u for u in User.objects.filter(query)}
    allowed = set(
        cta_viewers(cta).filter(pk__in=[u.pk for u in found.values()]).values_list("pk", flat=True)
    )
    errors = []
    for name in names:
        person = found.get(name.lower())
        # Codes for the API: a name that is no user is a missing reference (404), one who may
        # not see the CTA a value this author may not use (403).
        if person is None or not person.is_active:
            errors.append(ValidationError(f"@{name} is not a user.", code="does_not_exist"))
        elif person.pk not in allowed:
            errors.append(
                ValidationError(
                    f"@{name} cannot see this CTA (assign it to them instead).", code="forbidden"
                )
            )
    if errors:
        raise ValidationError({"body": errors})
    return [found[name.lower()] for name in names]


@transaction.atomic
def cta_note_add(*, cta: Cta, author: User, body: str) -> CtaNote:
    """Add a note to a CTA. Each `@username` must name an active user who may see the CTA;
    they are stored on the note and `cta.mentioned` is published (the author left out)."""
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": ["Write the note first."]})
    if len(body) > NOTE_MAX_LENGTH:
        raise ValidationError({"body": [f"Keep a note under {NOTE_MAX_LENGTH} characters."]})
    mentioned = _resolve_mentions(cta, mentioned_usernames(body))
    note = CtaNote.objects.create(cta=cta, author=author, body=body)
    if mentioned:
        note.mentions.set(mentioned)
        others = [person.pk for person in mentioned if person.pk != getattr(author, "pk", None)]
        if others:
            publish(
                "cta.mentioned",
                cta_id=cta.pk,
                account_id=cta.account_id,
                note_id=note.pk,
                author_id=getattr(author, "pk", None),
                user_ids=others,
            )
    return note


# --- playbook checklist ----------------------------------------------------------------------
@transaction.atomic
def cta_step_set(*, step: CtaStep, done: bool, user=None) -> CtaStep:
    """Tick or untick a playbook step (idempotent; records who ticked it and when). Ticking a
    step of an open CTA moves it to in progress."""
    if done == step.is_done:
        return step
    step.done_at = timezone.now() if done else None
    step.done_by = user if done else None
    step.save(update_fields=["done_at", "done_by"])
    cta = step.cta
    if done and cta.status == CtaStatus.OPEN:
        cta_status_set(cta=cta, status=CtaStatus.IN_PROGRESS, user=user)
    return step


def cta_step_toggle(*, step: CtaStep, user=None) -> CtaStep:
    """Flip a playbook step (the older API action)."""
    return cta_step_set(step=step, done=not step.is_done, user=user)


# --- bulk ------------------------------------------------------------------------------------
def _error_text(exc: ValidationError) -> str:
    if hasattr(exc, "message_dict"):
        return " ".join(m for msgs in exc.message_dict.values() for m in msgs)
    return " ".join(exc.messages)


def ctas_bulk_apply(
    *, visible: QuerySet, ids: Iterable[int], action: Callable[[Cta], object]
) -> list[dict]:
    """Run `action` on each CTA of `ids` that `visible` holds, each in its own savepoint, and
    report per item: {"id", "ok", "error"}. Ids the caller may not see read "Not found", the
    same as missing ones; one failing item never undoes the others."""
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        raise ValidationError({"ids": ["Pick at least one CTA."]})
    if len(wanted) > BULK_MAX:
        raise ValidationError({"ids": [f"At most {BULK_MAX} CTAs at a time."]})
    results = []
    with transaction.atomic():
        found = visible.select_related("account").select_for_update(of=("self",)).in_bulk(wanted)
        for pk in wanted:
            cta = found.get(pk)
            if cta is None:
                results.append({"id": pk, "ok": False, "error": "Not found."})
                continue
            try:
                with transaction.atomic():
                    action(cta)
            except ValidationError as exc:
                results.append({"id": pk, "ok": False, "error": _error_text(exc)})
            else:
                results.append({"id": pk, "ok": True, "error": ""})
    return results


def ctas_close_many(
    *, visible: QuerySet, ids: Iterable[int], outcome: str, note: str = "", user=None
) -> list[dict]:
    """Close many CTAs with one outcome and note; per-item results."""
    if outcome not in CtaOutcome.values:
        raise ValidationError({"outcome": ["Pick one of: " + ", ".join(CtaOutcome.values) + "."]})
    return ctas_bulk_apply(
        visible=visible,
        ids=ids,
        action=lambda cta: cta_close(cta=cta, outcome=outcome, note=note, user=user),
    )


def ctas_reassign_many(
    *, visible: QuerySet, ids: Iterable[int], owner: User, user=None
) -> list[dict]:
    """Hand many CTAs to one user; per-item results."""
    return ctas_bulk_apply(
        visible=visible, ids=ids, action=lambda cta: cta_reassign(cta=cta, owner=owner, user=user)
    )
