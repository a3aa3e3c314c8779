"""Customer accounts (CRM sense), their segments and the people we work with there."""

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper


class Stage(models.TextChoices):
    PROSPECT = "prospect", "Prospect"
    ONBOARDING = "onboarding", "Onboarding"
    ADOPTION = "adoption", "Adoption"
    MATURE = "mature", "Mature"
    RENEWAL = "renewal", "Renewal"
    CHURNED = "churned", "Churned"


class Segment(models.Model):
    """A group of similar customers with one desired outcome and one success plan."""

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    # Desired Outcome = Required Outcome + Appropriate Experience (design brief, idea 4).
    required_outcome = models.TextField(blank=True)
    appropriate_experience = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class AccountQuerySet(models.QuerySet):
    def for_user(self, user) -> "AccountQuerySet":
        """The accounts `user` may see: a CSM their own, a manager their teams', an admin all."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        # An archived account is out of everyone's book (admins reach it through `archived()`).
        current = self.filter(archived_at__isnull=True)
        if user.is_admin_role:
            return current
        if user.is_manager:
            # `owner_id IN (subquery)` rather than an OR across a join, so PostgreSQL can use
            # the owner index instead of joining every account to its owner's team.
            from users.models import User

            owners = User.objects.filter(Q(team__manager=user) | Q(pk=user.pk)).values("pk")
            return current.filter(owner_id__in=owners)
        return current.filter(owner=user)

    def active(self) -> "AccountQuerySet":
        """Customers we currently serve (not prospects, not churned, not archived)."""
        return self.exclude(stage__in=[Stage.PROSPECT, Stage.CHURNED]).filter(
            archived_at__isnull=True
        )

    def archived(self) -> "AccountQuerySet":
        """Accounts an admin archived: out of every list, page and run, history kept."""
        return self.filter(archived_at__isnull=False)


class Account(models.Model):
    """A customer account: who they are, what they pay, who owns them, and their current health."""

    name = models.CharField(max_length=200)
    external_id = models.CharField(max_length=100, unique=True, null=True, blank=True)
    domain = models.CharField(max_length=200, blank=True)
    industry = models.CharField(max_length=100, blank=True)
    employee_count = models.PositiveIntegerField(null=True, blank=True)
    region = models.CharField(max_length=50, blank=True)
    segment = models.ForeignKey(
        Segment, null=True, blank=True, on_delete=models.PROTECT, related_name="accounts"
    )
    stage = models.CharField(max_length=12, choices=Stage.choices, default=Stage.ONBOARDING)
    # No index of its own: the (owner, name) index leads with it.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_accounts",
        help_text="The owning CSM.",
        db_index=False,
    )
    arr = models.DecimalField(
        "ARR", max_digits=14, decimal_places=2, default=0, validators=[MinValueValidator(0)]
    )
    mrr = models.DecimalField(
        "MRR", max_digits=14, decimal_places=2, default=0, validators=[MinValueValidator(0)]
    )
    currency = models.CharField(max_length=3, default="USD")
    seats = models.PositiveIntegerField(null=True, blank=True)
    contract_start = models.DateField(null=True, blank=True)
    renewal_date = models.DateField(null=True, blank=True)
    churned_on = models.DateField(null=True, blank=True)
    relationship_word = models.CharField(
        max_length=40, blank=True, help_text="One word for the relationship (top-10 review)."
    )
    strategy_3m = models.TextField("strategy: next 3 months", blank=True)
    strategy_6m = models.TextField("strategy: next 6 months", blank=True)
    strategy_12m = models.TextField("strategy: next 12 months", blank=True)
    strategy_18m = models.TextField("strategy: next 18 months", blank=True)
    # Cost-to-serve inputs: margin = revenue - (interaction minutes x hourly cost)
    # - monthly support cost - discounts.
    hourly_cost = models.DecimalField(
        max_digits=8, decimal_places=2, default=100, validators=[MinValueValidator(0)]
    )
    monthly_support_cost = models.DecimalField(
        max_digits=12, decimal_places=2, default=0, validators=[MinValueValidator(0)]
    )
    discount_pct = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    custom_attributes = models.JSONField(default=dict, blank=True)
    # Set when an admin archives the account (accounts.services.lifecycle): it leaves every
    # book, list, report and score run, and keeps its history; restoring clears it.
    archived_at = models.DateTimeField(null=True, blank=True)

    # --- Denormalised: ICP fit (accounts.services.icp) -----------------------------------
    icp_fit = models.PositiveSmallIntegerField(null=True, blank=True)
    icp_good_fit = models.BooleanField(null=True, blank=True)
    icp_detail = models.JSONField(default=dict, blank=True)

    # --- Denormalised: goodwill ledger (kept by accounts.services.ledger under a row lock) --
    goodwill_balance = models.IntegerField(default=0)
    ledger_seq = models.PositiveIntegerField(default=0)

    # --- Denormalised: latest health snapshot (healthscores) --------------------------------
    health_score = models.PositiveSmallIntegerField(null=True, blank=True)
    health_band = models.CharField(max_length=20, blank=True)
    health_confidence = models.FloatField(null=True, blank=True)
    health_delta_7 = models.SmallIntegerField(null=True, blank=True)
    health_delta_30 = models.SmallIntegerField(null=True, blank=True)
    health_momentum = models.FloatField(null=True, blank=True)
    health_as_of = models.DateField(null=True, blank=True)
    decay_score = models.PositiveSmallIntegerField(null=True, blank=True)
    decay_status = models.CharField(max_length=12, blank=True)
    quadrant = models.CharField(max_length=24, blank=True)
    outcome_class = models.CharField(max_length=20, blank=True)
    lifetime_value = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AccountQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["owner", "name"]),
            models.Index(fields=["stage"]),
            models.Index(fields=["health_score"]),
            models.Index(fields=["renewal_date"]),
            models.Index(fields=["arr"]),
            models.Index(fields=["lifetime_value"]),
            # The Accounts list's sorts over every account (an admin's list) read one page of
            # an index in the list's exact order (column, then name, then id), so ties cost
            # nothing: health, fit, renewal and goodwill descending with unscored accounts last,
            # and fit ascending, where ties are the rule (no ICP yet: every fit is NULL). Health
            # and renewal ascending use their column indexes above and order ties on the fly.
            models.Index(
                F("health_score").desc(nulls_last=True),
                "name",
                "id",
                name="account_health_desc_idx",
            ),
            models.Index(
                F("icp_fit").desc(nulls_last=True), "name", "id", name="account_fit_desc_idx"
            ),
            models.Index(F("icp_fit").asc(nulls_last=True), "name", "id", name="account_fit_idx"),
            models.Index(
                F("renewal_date").desc(nulls_last=True),
                "name",
                "id",
                name="account_renewal_desc_idx",
            ),
            models.Index(
                F("goodwill_balance").desc(), "name", "id", name="account_goodwill_desc_idx"
            ),
            # The list's search and the header search: `icontains` is UPPER(col) LIKE
            # UPPER('%…%'), answered by trigram indexes on those expressions (migration 0016
            # creates the pg_trgm extension), and `iexact` UPPER(col) = UPPER(…) by a b-tree.
            GinIndex(OpClass(Upper("name"), name="gin_trgm_ops"), name="account_name_trgm_idx"),
            GinIndex(OpClass(Upper("domain"), name="gin_trgm_ops"), name="account_domain_trgm_idx"),
            models.Index(Upper("external_id"), name="account_external_id_upper_idx"),
            # The dashboards' sorted, limited lists (names from dashboards/0002, which made
            # them): the quick-log account menu by name, and the decay lists worst first
            # (`dashboards.selectors.book.DECAY_ORDER`) over the accounts decaying or in decay.
            models.Index(fields=["name"], name="dashboards_account_name_idx"),
            models.Index(
                F("decay_score").desc(nulls_last=True),
                F("arr").desc(),
                F("name"),
                condition=Q(decay_status__in=["decaying", "in_decay"]),
                name="dashboards_account_decay_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(arr__gte=0), name="account_arr_non_negative"),
            models.CheckConstraint(condition=Q(mrr__gte=0), name="account_mrr_non_negative"),
            models.CheckConstraint(
                condition=Q(hourly_cost__gte=0) & Q(monthly_support_cost__gte=0),
                name="account_costs_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(discount_pct__gte=0) & Q(discount_pct__lte=100),
                name="account_discount_pct_range",
            ),
            models.CheckConstraint(condition=Q(stage__in=Stage.values), name="account_stage_valid"),
            models.CheckConstraint(
                condition=Q(icp_fit__isnull=True) | Q(icp_fit__lte=100),
                name="account_icp_fit_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("accounts:detail", args=[self.pk])


class Contact(models.Model):
    """A person at a customer account."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=50, blank=True)
    title = models.CharField(max_length=120, blank=True)
    is_champion = models.BooleanField(default=False)
    is_decision_maker = models.BooleanField(default=False)
    is_user = models.BooleanField(default=True)
    external_id = models.CharField(max_length=100, unique=True, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # Set when the person's data was erased on request (accounts.services.privacy): the row
    # stays, holding no personal data, so counts and links to interactions and surveys hold.
    erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["account_id", "name", "id"]
        indexes = [
            # The header search matches contacts by `icontains` on name and e-mail (UPPER(col)
            # LIKE UPPER('%…%')): trigram indexes on those expressions, as on Account.
            GinIndex(OpClass(Upper("name"), name="gin_trgm_ops"), name="contact_name_trgm_idx"),
            GinIndex(OpClass(Upper("email"), name="gin_trgm_ops"), name="contact_email_trgm_idx"),
        ]

    def __str__(self) -> str:
        return self.name
