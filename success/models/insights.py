"""What we learn when an account churns or a prospect is lost."""

from django.conf import settings
from django.db import models
from django.db.models import Q


class LessonReason(models.TextChoices):
    POOR_FIT = "poor_fit", "Poor fit (outside our ICP)"
    OBJECTIVE_NOT_MET = "objective_not_met", "Customer objective not met"
    ONBOARDING_FAILED = "onboarding_failed", "Onboarding failed / never adopted"
    PRODUCT_GAP = "product_gap", "Product gap"
    PRICE = "price", "Price / value for money"
    SUPPORT_EXPERIENCE = "support_experience", "Support experience"
    CHAMPION_LEFT = "champion_left", "Champion or sponsor left"
    COMPETITOR = "competitor", "Moved to a competitor"
    BUDGET_CUT = "budget_cut", "Budget cut"
    ACQUIRED = "acquired", "Acquired / merged"
    OTHER = "other", "Other"


class LessonLearned(models.Model):
    """A reason code and notes recorded when an account churns or a prospect is lost."""

    class Kind(models.TextChoices):
        CHURNED = "churned", "Churned"
        LOST = "lost", "Lost (prospect)"

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="lessons_learned"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.CHURNED)
    reason_code = models.CharField(max_length=20, choices=LessonReason.choices)
    notes = models.TextField(help_text="What happened, and what we would do differently.")
    recorded_on = models.DateField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-recorded_on", "-id"]
        verbose_name_plural = "lessons learned"
        constraints = [
            models.CheckConstraint(
                condition=Q(reason_code__in=LessonReason.values), name="lesson_reason_valid"
            )
        ]

    def __str__(self) -> str:
        return f"{self.account}: {self.get_reason_code_display()}"
