"""Revenue and product signals pushed by integrations: subscriptions, usage, surveys.

("Signals" in the customer-success sense: what the customer does and pays. This module and
`accounts/services/customer_signals.py` hold no Django signal handlers.)
"""

from django.db import models
from django.db.models import F, Q


class Subscription(models.Model):
    """A product line on an account's contract; MRR history and churn derive from these."""

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="subscriptions"
    )
    product = models.CharField(max_length=100)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    mrr = models.DecimalField("MRR", max_digits=12, decimal_places=2)
    external_id = models.CharField(max_length=100, unique=True, null=True, blank=True)

    class Meta:
        ordering = ["account_id", "start_date", "id"]
        indexes = [models.Index(fields=["account", "start_date"])]
        constraints = [
            models.CheckConstraint(condition=Q(mrr__gte=0), name="subscription_mrr_non_negative"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="subscription_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product} ({self.mrr}/mo)"


class UsageMetric(models.Model):
    """One day's value of one product-usage metric for an account (upserted by natural key)."""

    # No index of its own: the (account, metric, date) unique index serves it.
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="usage_metrics", db_index=False
    )
    metric = models.CharField(max_length=60)
    date = models.DateField()
    value = models.FloatField()

    class Meta:
        ordering = ["account_id", "metric", "date"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "metric", "date"], name="usage_metric_natural_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.metric}={self.value} on {self.date}"


class SurveyKind(models.TextChoices):
    NPS = "nps", "NPS (0-10)"
    CSAT = "csat", "CSAT (1-5)"


class SurveyResponse(models.Model):
    """An NPS or CSAT answer from someone at the account."""

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="survey_responses"
    )
    contact = models.ForeignKey(
        "accounts.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="survey_responses",
    )
    kind = models.CharField(max_length=4, choices=SurveyKind.choices)
    score = models.SmallIntegerField()
    comment = models.TextField(blank=True)
    responded_at = models.DateTimeField()
    external_id = models.CharField(max_length=100, unique=True, null=True, blank=True)

    class Meta:
        ordering = ["-responded_at", "-id"]
        indexes = [models.Index(fields=["account", "responded_at"])]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="nps") & Q(score__gte=0) & Q(score__lte=10))
                | (Q(kind="csat") & Q(score__gte=1) & Q(score__lte=5)),
                name="survey_score_range",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind.upper()} {self.score}"
