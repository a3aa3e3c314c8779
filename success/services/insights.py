"""Writes for insights: lessons learned when an account churns or a prospect is lost."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import Account, Stage
from success.models import LessonLearned, LessonReason


@transaction.atomic
def lesson_learned_record(
    *, account: Account, reason_code: str, notes: str, recorded_on: date, kind: str = "", user=None
) -> LessonLearned:
    """Record why a churned account left (or a prospect was lost) and what we learned."""
    if reason_code not in LessonReason.values:
        raise ValidationError({"reason_code": ["Pick a reason code."]})
    notes = (notes or "").strip()
    if not notes:
        raise ValidationError({"notes": ["Write down what happened and what we learned."]})
    kind = kind or (
        LessonLearned.Kind.LOST if account.stage == Stage.PROSPECT else LessonLearned.Kind.CHURNED
    )
    if kind not in LessonLearned.Kind.values:
        raise ValidationError({"kind": ["Unknown kind."]})
    return LessonLearned.objects.create(
        account=account,
        kind=kind,
        reason_code=reason_code,
        notes=notes,
        recorded_on=recorded_on,
        recorded_by=user,
    )
