"""The Ideal Customer Profile: the filter every prospect and customer is held against."""

from django.db import models
from django.db.models import Q


class IdealCustomerProfile(models.Model):
    """A weighted set of criteria; an account's fit is the weight share of criteria it meets.

    An account is scored against the active ICP of its segment, or the default ICP.
    """

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    segment = models.ForeignKey(
        "accounts.Segment",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="icp_profiles",
    )
    is_default = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    good_fit_threshold = models.PositiveSmallIntegerField(default=70)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "ideal customer profile"
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_icp"
            ),
            models.CheckConstraint(
                condition=Q(good_fit_threshold__lte=100), name="icp_threshold_range"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class IcpCriterion(models.Model):
    """One weighted test of an account attribute (e.g. industry in {SaaS, Fintech})."""

    class Attribute(models.TextChoices):
        INDUSTRY = "industry", "Industry"
        EMPLOYEE_COUNT = "employee_count", "Employee count"
        REGION = "region", "Region"
        ARR = "arr", "ARR"
        SEGMENT = "segment", "Segment"
        CUSTOM = "custom", "Custom attribute"

    class Operator(models.TextChoices):
        IN = "in", "is one of"
        NOT_IN = "not_in", "is none of"
        BETWEEN = "between", "between (inclusive)"
        EQ = "eq", "equals"
        GTE = "gte", "at least"
        LTE = "lte", "at most"

    icp = models.ForeignKey(IdealCustomerProfile, on_delete=models.CASCADE, related_name="criteria")
    attribute = models.CharField(max_length=20, choices=Attribute.choices)
    custom_key = models.CharField(
        max_length=60, blank=True, help_text="Key in the account's custom attributes."
    )
    operator = models.CharField(max_length=10, choices=Operator.choices)
    # `in`/`not_in`: a list; `between`: [low, high] (either may be null); others: a scalar.
    value = models.JSONField()
    weight = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["icp_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(weight__gte=1), name="icp_criterion_weight_positive")
        ]

    def __str__(self) -> str:
        """The criterion as a sentence: `Industry is none of Education, Media`."""
        from core import formatting

        if self.attribute == self.Attribute.CUSTOM:
            name = formatting.label(self.custom_key)
        else:
            name = self.get_attribute_display()
        value = self.value
        if self.operator == self.Operator.BETWEEN and isinstance(value, list) and len(value) == 2:
            return f"{name} {formatting.value_range(*value)}"
        return f"{name} {self.get_operator_display()} {formatting.param_value(value)}"
