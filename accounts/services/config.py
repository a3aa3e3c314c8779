"""Admin configuration: ICPs and criteria, trust rules, the trust policy, segments."""

from django.db import transaction

from accounts.models import IcpCriterion, IdealCustomerProfile, Segment, TrustPolicy, TrustRule


def _rescore_all_later() -> None:
    """Every account's fit may change: rescore after commit, on a worker when there is one."""
    from accounts.tasks import icp_scores_refresh_all

    transaction.on_commit(icp_scores_refresh_all.delay)


@transaction.atomic
def icp_profile_save(*, icp: IdealCustomerProfile) -> IdealCustomerProfile:
    """Save an ICP (there is at most one default) and rescore every account."""
    icp.full_clean(validate_constraints=False)
    if icp.is_default:
        IdealCustomerProfile.objects.filter(is_default=True).exclude(pk=icp.pk).update(
            is_default=False
        )
    icp.save()
    _rescore_all_later()
    return icp


@transaction.atomic
def icp_profile_delete(*, icp: IdealCustomerProfile) -> None:
    """Remove an ICP with its criteria and rescore every account."""
    icp.delete()
    _rescore_all_later()


@transaction.atomic
def icp_criterion_save(*, criterion: IcpCriterion) -> IcpCriterion:
    """Add or change one weighted criterion and rescore every account."""
    criterion.full_clean()
    criterion.save()
    _rescore_all_later()
    return criterion


@transaction.atomic
def icp_criterion_delete(*, criterion: IcpCriterion) -> None:
    """Remove one criterion and rescore every account."""
    criterion.delete()
    _rescore_all_later()


@transaction.atomic
def trust_rule_save(*, rule: TrustRule) -> TrustRule:
    """Add or change a trust rule; it prices interactions logged from now on."""
    rule.full_clean()
    rule.save()
    return rule


@transaction.atomic
def trust_rule_delete(*, rule: TrustRule) -> None:
    """Remove a trust rule; past ledger entries keep their points."""
    rule.delete()


@transaction.atomic
def trust_policy_save(*, policy: TrustPolicy) -> TrustPolicy:
    """Change the cushion settings; they apply to chutes appended from now on."""
    policy.full_clean()
    policy.save()
    return policy


@transaction.atomic
def segment_save(*, segment: Segment) -> Segment:
    """Create or change a segment and its desired outcome; rescore (segments drive the ICP)."""
    segment.full_clean()
    segment.save()
    _rescore_all_later()
    return segment
