"""The trust & goodwill ledger: append-only ladders and chutes, and the rules that price them."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from .interaction import Category


class EntryKind(models.TextChoices):
    LADDER = "ladder", "Ladder"
    CHUTE = "chute", "Chute"


class EntrySource(models.TextChoices):
    INTERACTION = "interaction", "Interaction"
    MILESTONE = "milestone", "Milestone"
    INCIDENT = "incident", "Incident"
    MANUAL = "manual", "Manual adjustment"
    REVERSAL = "reversal", "Reversal"


class TrustRule(models.Model):
    """Default points for an interaction; the most specific matching rule wins.

    `sentiment` and `severity` left empty match any value. Chutes are deeper than ladders are
    high: one escalation can wipe out many good calls.
    """

    category = models.CharField(max_length=24, choices=Category.choices)
    sentiment = models.SmallIntegerField(null=True, blank=True)
    severity = models.PositiveSmallIntegerField(null=True, blank=True)
    points = models.IntegerField()
    description = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["category", "sentiment", "severity"]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "sentiment", "severity"],
                name="trust_rule_unique",
                nulls_distinct=False,
            ),
            models.CheckConstraint(
                condition=Q(sentiment__isnull=True) | (Q(sentiment__gte=-2) & Q(sentiment__lte=2)),
                name="trust_rule_sentiment_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.category} s={self.sentiment} sev={self.severity}: {self.points:+d}"


class TrustPolicy(models.Model):
    """The single row of ledger settings: the cushion that protects long-standing goodwill.

    cushion = max_cushion x min(1, sustained_balance / full_cushion_balance), where the
    sustained balance is the lowest balance the account held over the last `window_days`
    (0 if the account is younger than the window). A chute of P points costs
    P x (1 - cushion), rounded, and always at least 1 point: a cushion never turns a chute
    into a ladder.
    """

    cushion_window_days = models.PositiveSmallIntegerField(default=180)
    full_cushion_balance = models.PositiveIntegerField(default=100)
    max_cushion = models.DecimalField(max_digits=3, decimal_places=2, default=0.5)
    starting_balance = models.IntegerField(
        default=10, help_text="The small trust a new customer extends."
    )

    class Meta:
        verbose_name_plural = "trust policy"
        constraints = [
            models.CheckConstraint(
                condition=Q(max_cushion__gte=0) & Q(max_cushion__lt=1),
                name="trust_policy_cushion_range",
            )
        ]

    def __str__(self) -> str:
        return f"cushion up to {self.max_cushion} over {self.cushion_window_days} days"

    @classmethod
    def current(cls) -> "TrustPolicy":
        return cls.objects.order_by("pk").first() or cls.objects.create()


class TrustEntry(models.Model):
    """One append-only ledger line. Never updated or deleted: mistakes get a reversing entry."""

    # No index of its own: the unique (account, seq) index serves it (and every per-account
    # read, which orders by seq; one account's entries are few enough to filter by date).
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.PROTECT, related_name="trust_entries", db_index=False
    )
    seq = models.PositiveIntegerField(help_text="Gap-free per account, in append order.")
    occurred_at = models.DateTimeField()
    recorded_at = models.DateTimeField(auto_now_add=True)
    points = models.IntegerField()
    base_points = models.IntegerField(help_text="Points before the cushion was applied.")
    kind = models.CharField(max_length=6, choices=EntryKind.choices)
    source = models.CharField(max_length=12, choices=EntrySource.choices)
    reason = models.CharField(max_length=300)
    interaction = models.OneToOneField(
        "accounts.Interaction",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="trust_entry",
    )
    corrects = models.ForeignKey(
        "accounts.Interaction",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrections",
        help_text=(
            "The interaction whose re-classification this entry corrects: its effect is its "
            "own entry's base points plus these corrections."
        ),
    )
    reverses = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
        help_text="The entry this one reverses (an entry can be reversed once).",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="trust_entries",
    )
    balance_after = models.IntegerField()

    class Meta:
        ordering = ["account_id", "seq"]
        verbose_name_plural = "trust entries"
        constraints = [
            # Its index also carries points and occurred_at (INCLUDE): the nightly balance and
            # burn read the ledger without the table.
            models.UniqueConstraint(
                fields=["account", "seq"],
                include=["points", "occurred_at"],
                name="trust_entry_seq_unique",
            ),
            models.CheckConstraint(
                condition=(Q(kind=EntryKind.LADDER) & Q(points__gte=0))
                | (Q(kind=EntryKind.CHUTE) & Q(points__lte=0)),
                name="trust_entry_kind_matches_sign",
            ),
            models.CheckConstraint(
                condition=Q(source__in=EntrySource.values), name="trust_entry_source_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.points:+d} ({self.reason})"
