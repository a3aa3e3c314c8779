"""The one factory module (factory_boy). Add factories for new models at the end."""

from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import factory
from django.utils import timezone

from accounts.models import (
    Account,
    Category,
    Channel,
    Contact,
    IcpCriterion,
    IdealCustomerProfile,
    Interaction,
    Segment,
    Stage,
    Subscription,
    SurveyResponse,
    UsageMetric,
)
from users.models import Role, Team, User

PASSWORD = "correct-horse-battery-9"


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    role = Role.CSM

    @factory.post_generation
    def password(obj, create, extracted, **kwargs):
        obj.set_password(extracted or PASSWORD)
        if create:
            obj.save(update_fields=["password"])


class SegmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Segment
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Segment {n}")
    required_outcome = "Live in 90 days"
    appropriate_experience = "Monthly check-ins"


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    name = factory.Sequence(lambda n: f"Account {n}")
    external_id = factory.Sequence(lambda n: f"ext-{n}")
    industry = "SaaS"
    employee_count = 500
    region = "EMEA"
    stage = Stage.MATURE
    owner = factory.SubFactory(UserFactory)
    arr = Decimal("120000")
    mrr = Decimal("10000")
    contract_start = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=400))
    renewal_date = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=120))
    relationship_word = "partner"


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    account = factory.SubFactory(AccountFactory)
    name = factory.Faker("name")
    email = factory.Faker("email")


class InteractionFactory(factory.django.DjangoModelFactory):
    """A raw interaction row (no ledger entry); use the service to log one for real."""

    class Meta:
        model = Interaction

    account = factory.SubFactory(AccountFactory)
    occurred_at = factory.LazyFunction(timezone.now)
    channel = Channel.CALL
    category = Category.VALUE_ADDING
    sentiment = 1
    minutes = 30


class SubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Subscription

    account = factory.SubFactory(AccountFactory)
    product = "Platform"
    start_date = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=365))
    mrr = Decimal("1000")


class UsageMetricFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = UsageMetric

    account = factory.SubFactory(AccountFactory)
    metric = "searches"
    date = factory.LazyFunction(timezone.localdate)
    value = 10.0


class SurveyResponseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SurveyResponse

    account = factory.SubFactory(AccountFactory)
    kind = "nps"
    score = 9
    responded_at = factory.LazyFunction(timezone.now)


class IdealCustomerProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IdealCustomerProfile

    name = factory.Sequence(lambda n: f"ICP {n}")
    good_fit_threshold = 70


class IcpCriterionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = IcpCriterion

    icp = factory.SubFactory(IdealCustomerProfileFactory)
    attribute = IcpCriterion.Attribute.INDUSTRY
    operator = IcpCriterion.Operator.IN
    value = ["SaaS"]
    weight = 1


def org() -> SimpleNamespace:
    """An organisation: admin; manager_a leads team A (csm_a1, csm_a2); manager_b leads team B
    (csm_b1); each CSM owns two accounts."""
    admin = UserFactory(username="admin1", role=Role.ADMIN)
    manager_a = UserFactory(username="manager_a", role=Role.MANAGER)
    manager_b = UserFactory(username="manager_b", role=Role.MANAGER)
    team_a = TeamFactory(name="Team A", manager=manager_a)
    team_b = TeamFactory(name="Team B", manager=manager_b)
    csm_a1 = UserFactory(username="csm_a1", team=team_a)
    csm_a2 = UserFactory(username="csm_a2", team=team_a)
    csm_b1 = UserFactory(username="csm_b1", team=team_b)
    segment = SegmentFactory(name="Mid-Market")
    accounts = {
        user.username: [
            AccountFactory(owner=user, segment=segment, name=f"{user.username} account {i}")
            for i in (1, 2)
        ]
        for user in (csm_a1, csm_a2, csm_b1)
    }
    return SimpleNamespace(
        admin=admin,
        manager_a=manager_a,
        manager_b=manager_b,
        team_a=team_a,
        team_b=team_b,
        csm_a1=csm_a1,
        csm_a2=csm_a2,
        csm_b1=csm_b1,
        segment=segment,
        accounts=accounts,
    )


# --- success (plans, CTAs, lessons learned) -----------------------------------------------
class PlanTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "success.PlanTemplate"

    segment = factory.SubFactory(SegmentFactory)
    name = factory.Sequence(lambda n: f"Onboarding plan {n}")


class PlanTemplateStepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "success.PlanTemplateStep"

    template = factory.SubFactory(PlanTemplateFactory)
    order = factory.Sequence(lambda n: n)
    title = factory.Sequence(lambda n: f"Template step {n}")
    owner_side = "us"
    scope = "our_scope"
    offset_days = 0
    duration_days = 10


class SuccessPlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "success.SuccessPlan"

    account = factory.SubFactory(AccountFactory)
    name = "Success plan"
    objective = "Two teams live and reporting weekly"
    started_on = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=30))


class PlanStepFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "success.PlanStep"

    plan = factory.SubFactory(SuccessPlanFactory)
    order = factory.Sequence(lambda n: n)
    title = factory.Sequence(lambda n: f"Step {n}")
    owner_side = "us"
    scope = "our_scope"
    starts_on = factory.LazyAttribute(lambda s: s.due_on - timedelta(days=7))
    due_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=10))


class CtaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "success.Cta"

    account = factory.SubFactory(AccountFactory)
    owner = factory.LazyAttribute(lambda c: c.account.owner)
    title = "Check in"
    reason = "Because"
    due_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=7))


class LessonLearnedFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "success.LessonLearned"

    account = factory.SubFactory(AccountFactory)
    reason_code = "price"
    notes = "Too expensive for what they used."
    recorded_on = factory.LazyFunction(timezone.localdate)
