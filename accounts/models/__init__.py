from .account import Account, AccountQuerySet, Contact, Segment, Stage
from .customer_signals import Subscription, SurveyKind, SurveyResponse, UsageMetric
from .icp import IcpCriterion, IdealCustomerProfile
from .interaction import Category, Channel, Interaction, WorkType
from .ledger import EntryKind, EntrySource, TrustEntry, TrustPolicy, TrustRule
from .views import SavedView

__all__ = [
    "Account",
    "AccountQuerySet",
    "Category",
    "Channel",
    "Contact",
    "EntryKind",
    "EntrySource",
    "IcpCriterion",
    "IdealCustomerProfile",
    "Interaction",
    "SavedView",
    "Segment",
    "Stage",
    "Subscription",
    "SurveyKind",
    "SurveyResponse",
    "TrustEntry",
    "TrustPolicy",
    "TrustRule",
    "UsageMetric",
    "WorkType",
]
