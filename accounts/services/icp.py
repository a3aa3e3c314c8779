"""ICP fit: the weight share of an ICP's criteria an account meets, recomputed in bulk."""

from decimal import Decimal, InvalidOperation

from django.db import transaction

from accounts.models import Account, IcpCriterion, IdealCustomerProfile

Attribute, Operator = IcpCriterion.Attribute, IcpCriterion.Operator
_ACCOUNT_FIELDS = (
    "industry",
    "employee_count",
    "region",
    "arr",
    "segment_id",
    "custom_attributes",
    "icp_fit",
    "icp_good_fit",
    "icp_detail",
)


def _number(value) -> Decimal | None:
    if value is None or isinstance(value, bool) or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _text(value) -> str:
    return str(value).strip().casefold()


def attribute_value(account: Account, criterion: IcpCriterion, segment_names: dict[int, str]):
    """The account's value for the criterion's attribute (None when the account lacks it)."""
    if criterion.attribute == Attribute.CUSTOM:
        value = (account.custom_attributes or {}).get(criterion.custom_key)
    elif criterion.attribute == Attribute.SEGMENT:
        value = segment_names.get(account.segment_id)
    else:
        value = getattr(account, criterion.attribute)
    return None if value in (None, "") else value


def criterion_met(criterion: IcpCriterion, value) -> bool:
    """Whether an attribute value passes the criterion; a missing value never does."""
    if value is None:
        return False
    op, expected = criterion.operator, criterion.value
    if op in (Operator.IN, Operator.NOT_IN):
        options = expected if isinstance(expected, list) else [expected]
        inside = _text(value) in {_text(o) for o in options}
        return inside if op == Operator.IN else not inside
    if op == Operator.EQ:
        actual, wanted = _number(value), _number(expected)
        if actual is not None and wanted is not None:
            return actual == wanted
        return _text(value) == _text(expected)
    actual = _number(value)
    if actual is None:
        return False
    if op == Operator.BETWEEN:
        low, high = (
            (list(expected) + [None, None])[:2] if isinstance(expected, list) else (None, None)
        )
        low, high = _number(low), _number(high)
        return (low is None or actual >= low) and (high is None or actual <= high)
    wanted = _number(expected)
    if wanted is None:
        return False
    return actual >= wanted if op == Operator.GTE else actual <= wanted


def icp_fit(account: Account, icp: IdealCustomerProfile | None, segment_names: dict[int, str]):
    """(fit 0-100 or None, good fit or None, detail) of one account against one ICP."""
    if icp is None:
        return None, None, {}
    criteria = list(icp.criteria.all())
    detail = {"icp_id": icp.pk, "icp": icp.name, "threshold": icp.good_fit_threshold}
    if not criteria:
        return None, None, {**detail, "met": [], "missed": [], "note": "The ICP has no criteria."}
    met, missed, met_weight = [], [], 0
    for criterion in criteria:
        value = attribute_value(account, criterion, segment_names)
        line = {"criterion": str(criterion), "weight": criterion.weight}
        if criterion_met(criterion, value):
            met.append(line)
            met_weight += criterion.weight
        else:
            missed.append({**line, "actual": None if value is None else str(value)})
    total = sum(c.weight for c in criteria)
    fit = round(100 * met_weight / total)
    return fit, fit >= icp.good_fit_threshold, {**detail, "met": met, "missed": missed}


def icp_profiles_active() -> tuple[dict[int, IdealCustomerProfile], IdealCustomerProfile | None]:
    """Active ICPs by segment id, and the default ICP (two queries)."""
    profiles = IdealCustomerProfile.objects.filter(is_active=True).prefetch_related("criteria")
    by_segment, default = {}, None
    for icp in profiles.order_by("name"):
        if icp.segment_id and icp.segment_id not in by_segment:
            by_segment[icp.segment_id] = icp
        if icp.is_default and default is None:
            default = icp
    return by_segment, default


@transaction.atomic
def icp_scores_refresh(*, account_ids: list[int] | None = None, batch_size: int = 2000) -> int:
    """Recompute ICP fit for the given accounts (all when None); returns how many changed."""
    from accounts.models import Segment

    by_segment, default = icp_profiles_active()
    segment_names = dict(Segment.objects.values_list("pk", "name"))
    accounts = Account.objects.only(*_ACCOUNT_FIELDS).order_by("pk")
    if account_ids is not None:
        accounts = accounts.filter(pk__in=account_ids)
    changed = []
    for account in accounts.iterator(chunk_size=batch_size):
        icp = by_segment.get(account.segment_id, default)
        fit, good, detail = icp_fit(account, icp, segment_names)
        if (fit, good, detail) != (account.icp_fit, account.icp_good_fit, account.icp_detail):
            account.icp_fit, account.icp_good_fit, account.icp_detail = fit, good, detail
            changed.append(account)
    Account.objects.bulk_update(
        changed, ["icp_fit", "icp_good_fit", "icp_detail"], batch_size=batch_size
    )
    return len(changed)
