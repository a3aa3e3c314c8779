"""Interactions: every touch with a customer, classified by what it did for the relationship."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class Channel(models.TextChoices):
    CALL = "call", "Call"
    MEETING = "meeting", "Meeting"
    EMAIL = "email", "E-mail"
    QBR = "qbr", "QBR"
    TICKET = "ticket", "Ticket"
    TRAINING = "training", "Training"
    ONSITE = "onsite", "On-site"
    CHAT = "chat", "Chat"


class Category(models.TextChoices):
    """The a-e of the top-10 review (design brief, idea 6)."""

    RELATIONSHIP_BUILDING = "relationship_building", "Relationship building"
    VALUE_ADDING = "value_adding", "Value adding"
    FIREFIGHTING = "firefighting", "Firefighting"
    ESCALATION = "escalation", "Escalation"
    UNVALUED_PROBLEM = "unvalued_problem", "Solving a problem the customer doesn't value"

    @classmethod
    def positive(cls) -> list[str]:
        return [cls.RELATIONSHIP_BUILDING, cls.VALUE_ADDING]

    @classmethod
    def negative(cls) -> list[str]:
        return [cls.FIREFIGHTING, cls.ESCALATION, cls.UNVALUED_PROBLEM]


class WorkType(models.TextChoices):
    SUPPORT = "support", "Support (free)"
    CHARGEABLE = "chargeable", "Should be chargeable"


class Interaction(models.Model):
    """One touch with a customer; logging it appends its goodwill ladder or chute."""

    # No index of its own: the (account, -occurred_at) index serves every account lookup.
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="interactions", db_index=False
    )
    occurred_at = models.DateTimeField()
    channel = models.CharField(max_length=10, choices=Channel.choices)
    category = models.CharField(max_length=24, choices=Category.choices)
    sentiment = models.SmallIntegerField(default=0, help_text="-2 (very negative) .. +2")
    minutes = models.PositiveIntegerField(default=0)
    work_type = models.CharField(max_length=10, choices=WorkType.choices, default=WorkType.SUPPORT)
    severity = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Escalations only: 1 (minor) .. 4 (critical)."
    )
    contact = models.ForeignKey(
        "accounts.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="interactions",
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="interactions",
    )
    summary = models.TextField(blank=True)
    # Unique through Meta's constraint, not `unique=True`, which would also add a
    # varchar_pattern_ops (LIKE) copy of the index that every bulk insert maintains and no
    # query reads (interaction external ids are matched exactly).
    external_id = models.CharField(max_length=100, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [
            # It also carries what the nightly scoring aggregates (INCLUDE): index-only reads
            # of an account's interactions, however their rows are spread over the table. (The
            # name is the one Django generated before the INCLUDE was added.)
            models.Index(
                fields=["account", "-occurred_at"],
                include=["category", "minutes", "work_type", "sentiment", "id"],
                name="accounts_in_account_11290f_idx",
            )
        ]
        constraints = [
            # The name PostgreSQL gave the column's UNIQUE when it was `unique=True`.
            models.UniqueConstraint(
                fields=["external_id"], name="accounts_interaction_external_id_key"
            ),
            models.CheckConstraint(
                condition=Q(sentiment__gte=-2) & Q(sentiment__lte=2),
                name="interaction_sentiment_range",
            ),
            models.CheckConstraint(
                condition=Q(severity__isnull=True) | (Q(severity__gte=1) & Q(severity__lte=4)),
                name="interaction_severity_range",
            ),
            models.CheckConstraint(
                condition=Q(category__in=Category.values), name="interaction_category_valid"
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_category_display()} with {self.account_id} on {self.occurred_at:%Y-%m-%d}"
        )
