"""Revenue and product signals: subscriptions, daily usage (bulk) and survey answers."""

import math
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.dateparse import parse_date

from accounts.models import Account, Contact, Subscription, SurveyKind, SurveyResponse, UsageMetric
from core.events import publish

from .common import BulkResult, rows_update


def _as_date(value) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return parse_date(value.strip())
        except ValueError:
            return None
    return None


def usage_rows_clean(rows: list[dict]) -> tuple[list[tuple[int, UsageMetric]], list[dict]]:
    """Validate usage rows: ([(index, unsaved metric)], errors by index); duplicates rejected."""
    valid, errors, seen = [], [], {}
    for index, row in enumerate(rows):
        row_errors: dict[str, list[str]] = {}
        account = row.get("account")
        if not isinstance(account, Account):
            row_errors["account"] = ["Unknown account."]
        metric = str(row.get("metric") or "").strip()
        if not metric:
            row_errors["metric"] = ["This field is required."]
        elif len(metric) > 60:
            row_errors["metric"] = ["At most 60 characters."]
        day = _as_date(row.get("date"))
        if day is None:
            row_errors["date"] = ["Enter a valid date (YYYY-MM-DD)."]
        try:
            value = float(row.get("value"))
            if not math.isfinite(value):
                raise ValueError
        except (TypeError, ValueError):
            row_errors["value"] = ["Enter a finite number."]
        if not row_errors:
            key = (account.pk, metric, day)
            if key in seen:
                row_errors["date"] = [f"Duplicate of row {seen[key]} in this batch."]
            else:
                seen[key] = index
        if row_errors:
            errors.append({"index": index, "errors": row_errors})
        else:
            valid.append(
                (index, UsageMetric(account_id=account.pk, metric=metric, date=day, value=value))
            )
    return valid, errors


@transaction.atomic
def usage_bulk_upsert(*, rows: list[dict]) -> BulkResult:
    """Insert or overwrite daily usage values by (account, metric, date); bad rows reported."""
    valid, errors = usage_rows_clean(rows)
    result = BulkResult(errors=errors)
    if not valid:
        return result
    metrics = [m for _, m in valid]
    existing = set(
        UsageMetric.objects.filter(
            account_id__in={m.account_id for m in metrics},
            metric__in={m.metric for m in metrics},
            date__in={m.date for m in metrics},
        ).values_list("account_id", "metric", "date")
    )
    UsageMetric.objects.bulk_create(
        metrics,
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["account", "metric", "date"],
        update_fields=["value"],
    )
    result.updated = sum((m.account_id, m.metric, m.date) in existing for m in metrics)
    result.created = len(metrics) - result.updated
    publish("account.inputs_changed", account_ids=sorted({m.account_id for m in metrics}))
    return result


@transaction.atomic
def survey_record(
    *,
    account: Account,
    kind: str,
    score: int,
    responded_at: datetime | None = None,
    contact: Contact | None = None,
    comment: str = "",
    external_id: str | None = None,
) -> SurveyResponse:
    """Store one NPS (0-10) or CSAT (1-5) answer; idempotent on external_id."""
    if external_id:
        existing = SurveyResponse.objects.filter(external_id=external_id).first()
        if existing is not None:
            return existing
    if kind not in SurveyKind.values:
        raise ValidationError({"kind": ["Choose nps or csat."]})
    low, high = (0, 10) if kind == SurveyKind.NPS else (1, 5)
    try:
        score = int(score)
    except (TypeError, ValueError):
        raise ValidationError({"score": ["Enter a whole number."]}) from None
    if not low <= score <= high:
        raise ValidationError({"score": [f"A {kind.upper()} score runs from {low} to {high}."]})
    if contact is not None and contact.account_id != account.pk:
        raise ValidationError({"contact": ["This contact works at another account."]})
    response = SurveyResponse.objects.create(
        account=account,
        kind=kind,
        score=score,
        responded_at=responded_at or timezone.now(),
        contact=contact,
        comment=comment or "",
        external_id=external_id or None,
    )
    publish("account.inputs_changed", account_ids=[account.pk])
    return response


def account_mrr_sync(*, account_ids: list[int], today: date | None = None) -> None:
    """Set each account's MRR/ARR to the sum of its subscriptions active today."""
    today = today or timezone.localdate()
    active = Q(subscriptions__start_date__lte=today) & (
        Q(subscriptions__end_date__isnull=True) | Q(subscriptions__end_date__gte=today)
    )
    sums = dict(
        Account.objects.filter(pk__in=account_ids, subscriptions__isnull=False)
        .annotate(total=Sum("subscriptions__mrr", filter=active))
        .values_list("pk", "total")
    )
    accounts = list(Account.objects.filter(pk__in=sums).only("mrr", "arr"))
    for account in accounts:
        account.mrr = sums[account.pk] or Decimal("0")
        account.arr = account.mrr * 12
    Account.objects.bulk_update(accounts, ["mrr", "arr"], batch_size=1000)


@transaction.atomic
def subscription_upsert(
    *,
    account: Account,
    product: str,
    start_date: date,
    mrr: Decimal,
    end_date: date | None = None,
    external_id: str | None = None,
) -> tuple[Subscription, bool]:
    """Create or update a subscription (by external_id, else account+product+start date);
    returns it and whether it was created, as Django's update_or_create does.

    The account's MRR/ARR follow its active subscriptions.
    """
    lookup = (
        {"external_id": external_id}
        if external_id
        else {
            "account": account,
            "product": product,
            "start_date": start_date,
        }
    )
    subscription = Subscription.objects.filter(**lookup).first() or Subscription()
    created = subscription.pk is None
    if subscription.pk and subscription.account_id != account.pk:
        raise ValidationError({"external_id": ["This external_id belongs to another account."]})
    subscription.account = account
    subscription.product = product
    subscription.start_date = _as_date(start_date)
    subscription.end_date = _as_date(end_date) if end_date else None
    subscription.mrr = mrr
    subscription.external_id = external_id or None
    subscription.full_clean()
    subscription.save()
    account_mrr_sync(account_ids=[account.pk])
    publish("account.inputs_changed", account_ids=[account.pk])
    return subscription, created


MRR_MAX = Decimal("9999999999.99")  # the column's max_digits=12, decimal_places=2


def _as_mrr(value) -> Decimal | None:
    """A JSON number or numeric string as money with cents, or None when it is not one."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        return None
    try:
        mrr = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    if not mrr.is_finite() or mrr < 0 or mrr > MRR_MAX or mrr != mrr.quantize(Decimal("0.01")):
        return None
    return mrr.quantize(Decimal("0.01"))


def subscription_rows_clean(rows: list[dict]) -> tuple[list[tuple[int, Subscription]], list[dict]]:
    """Validate subscription rows: ([(index, unsaved subscription)], errors by index).

    A row names its subscription by `external_id`, else by account + product + start_date; two
    rows naming the same subscription in one batch are an error on the second.
    """
    valid, errors, seen = [], [], {}
    for index, row in enumerate(rows):
        row_errors: dict[str, list[str]] = {}
        account = row.get("account")
        if not isinstance(account, Account):
            row_errors["account"] = ["Unknown account."]
        product = str(row.get("product") or "").strip()
        if not product:
            row_errors["product"] = ["This field is required."]
        elif len(product) > 100:
            row_errors["product"] = ["At most 100 characters."]
        start = _as_date(row.get("start_date"))
        if start is None:
            row_errors["start_date"] = ["Enter a valid date (YYYY-MM-DD)."]
        end = None
        if row.get("end_date") not in (None, ""):
            end = _as_date(row.get("end_date"))
            if end is None:
                row_errors["end_date"] = ["Enter a valid date (YYYY-MM-DD)."]
            elif start is not None and end < start:
                row_errors["end_date"] = ["Ends before it starts."]
        mrr = _as_mrr(row.get("mrr"))
        if mrr is None:
            row_errors["mrr"] = ["Enter an amount of at least 0 with at most 2 decimals."]
        external_id = str(row.get("external_id") or "").strip() or None
        if external_id and len(external_id) > 100:
            row_errors["external_id"] = ["At most 100 characters."]
        if not row_errors:
            key = ("ext", external_id) if external_id else ("nat", account.pk, product, start)
            if key in seen:
                field = "external_id" if external_id else "start_date"
                row_errors[field] = [f"Duplicate of row {seen[key]} in this batch."]
            else:
                seen[key] = index
        if row_errors:
            errors.append({"index": index, "errors": row_errors})
        else:
            valid.append(
                (
                    index,
                    Subscription(
                        account_id=account.pk,
                        product=product,
                        start_date=start,
                        end_date=end,
                        mrr=mrr,
                        external_id=external_id,
                    ),
                )
            )
    return valid, errors


@transaction.atomic
def subscriptions_bulk_upsert(*, rows: list[dict]) -> BulkResult:
    """Insert or update many subscriptions (by external_id, else account + product + start
    date) in a few set-based queries; bad rows are reported. MRR/ARR follow once per account.

    A row without external_id keeps the external_id the stored subscription already has.
    """
    valid, errors = subscription_rows_clean(rows)
    result = BulkResult(errors=errors)
    if not valid:
        return result
    by_ext = {
        s.external_id: s
        for s in Subscription.objects.filter(
            external_id__in=[s.external_id for _, s in valid if s.external_id]
        )
    }
    natural = [s for _, s in valid if not s.external_id]
    by_key = (
        {
            (s.account_id, s.product, s.start_date): s
            for s in Subscription.objects.filter(
                account_id__in={s.account_id for s in natural},
                product__in={s.product for s in natural},
                start_date__in={s.start_date for s in natural},
            ).order_by("-id")  # the oldest of duplicates wins, as in subscription_upsert
        }
        if natural
        else {}
    )
    new, changed, touched = [], [], set()
    for index, row in valid:
        if row.external_id:
            stored = by_ext.get(row.external_id)
            if stored is not None and stored.account_id != row.account_id:
                message = "This external_id belongs to another account's subscription."
                result.errors.append({"index": index, "errors": {"external_id": [message]}})
                continue
        else:
            stored = by_key.get((row.account_id, row.product, row.start_date))
        touched.add(row.account_id)
        if stored is None:
            new.append(row)
            continue
        for name in ("product", "start_date", "end_date", "mrr"):
            setattr(stored, name, getattr(row, name))
        changed.append(stored)
    Subscription.objects.bulk_create(new, batch_size=1000)
    rows_update(Subscription, changed, ["product", "start_date", "end_date", "mrr"])
    result.created, result.updated = len(new), len(changed)
    result.errors.sort(key=lambda e: e["index"])
    if touched:
        account_mrr_sync(account_ids=sorted(touched))
        publish("account.inputs_changed", account_ids=sorted(touched))
    return result
