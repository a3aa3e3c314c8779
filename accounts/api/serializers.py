"""Serializers for the accounts API: explicit fields; owner rules; computed fields read-only."""

from django.conf import settings
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework import serializers

from accounts.account_fields import ACCOUNT_KEY, ACCOUNT_WRITABLE
from accounts.models import (
    Account,
    Category,
    Channel,
    Contact,
    EntrySource,
    IcpCriterion,
    IdealCustomerProfile,
    Interaction,
    Segment,
    Subscription,
    SurveyKind,
    SurveyResponse,
    TrustEntry,
    UsageMetric,
    WorkType,
)
from accounts.selectors import account_owner_choices
from core.api.fields import (
    ApiModelSerializer,
    ApiSerializer,
    MoneyField,
    StrictBooleanField,
    StrictCharField,
    StrictFloatField,
    StrictIntegerField,
)
from users.models import User

from .fields import AccountRefSerializer, VisibleRelatedField, visible_contacts

# Written by jobs and services (ICP fit, ledger, health), never by clients.
ACCOUNT_COMPUTED_FIELDS = [
    "icp_fit",
    "icp_good_fit",
    "goodwill_balance",
    "health_score",
    "health_band",
    "health_confidence",
    "health_delta_7",
    "health_delta_30",
    "health_momentum",
    "health_as_of",
    "decay_score",
    "decay_status",
    "quadrant",
    "outcome_class",
    "lifetime_value",
    "created_at",
    "updated_at",
    "archived_at",
]


class SegmentSerializer(ApiModelSerializer):
    class Meta:
        model = Segment
        fields = ["id", "name", "description", "required_outcome", "appropriate_experience"]


class AccountSerializer(ApiModelSerializer):
    owner = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True),
        required=False,
        help_text="The owning CSM's user id. Defaults to the caller on create. CSMs may only "
        "name themselves; managers themselves or a member of a team they lead; admins any "
        "active user.",
    )
    owner_username = StrictCharField(source="owner.username", read_only=True, default=None)
    custom_attributes = serializers.DictField(required=False)
    # Amounts are decimal strings (MoneyField, the base mapping); ranges come from the model.

    class Meta:
        model = Account
        fields = [
            "id",
            ACCOUNT_KEY,
            *ACCOUNT_WRITABLE,
            "owner_username",
            "custom_attributes",
            *ACCOUNT_COMPUTED_FIELDS,
        ]
        read_only_fields = ACCOUNT_COMPUTED_FIELDS
        extra_kwargs = {"external_id": {"allow_null": True, "required": False}}

    def validate_owner(self, owner):
        user = self.context["request"].user
        if owner is not None and not account_owner_choices(user=user).filter(pk=owner.pk).exists():
            raise serializers.ValidationError(
                "You may not assign accounts to this user (see the owner rules).",
                code="forbidden",
            )
        return owner

    def validate_external_id(self, value):
        return (value or "").strip() or None


class AccountRowSerializer(ApiModelSerializer):
    """One row of a bulk account upsert: `external_id` (the upsert key) and any writable
    attributes, typed and ranged as on the account; the others keep their stored value (or the
    default, for a new account). Owner and segment are ids; the service checks them (owner
    rules, an unknown segment) and reports the row, as it does one it cannot see."""

    owner = StrictIntegerField(
        required=False, allow_null=True, help_text="The owning CSM's user id (owner rules apply)."
    )
    segment = StrictIntegerField(required=False, allow_null=True, help_text="A segment id.")
    custom_attributes = serializers.DictField(required=False)

    class Meta:
        model = Account
        fields = [ACCOUNT_KEY, *ACCOUNT_WRITABLE, "custom_attributes"]
        extra_kwargs = {
            ACCOUNT_KEY: {"required": True, "allow_null": False, "validators": []},
            **{name: {"required": False} for name in ACCOUNT_WRITABLE},
        }

    def validate_external_id(self, value):
        value = (value or "").strip()
        if not value:
            raise serializers.ValidationError("This field may not be blank.")
        return value


class AccountBulkRequestSerializer(ApiSerializer):
    rows = AccountRowSerializer(many=True, max_length=settings.API_BULK_MAX_ROWS)


class ContactSerializer(AccountRefSerializer, ApiModelSerializer):
    class Meta:
        model = Contact
        fields = [
            "id",
            "account",
            "account_external_id",
            "external_id",
            "name",
            "email",
            "phone",
            "title",
            "is_champion",
            "is_decision_maker",
            "is_user",
            "created_at",
            "erased_at",
        ]
        read_only_fields = ["created_at", "erased_at"]
        extra_kwargs = {"external_id": {"allow_null": True, "required": False}}

    def validate_external_id(self, value):
        return (value or "").strip() or None


class InteractionSerializer(AccountRefSerializer, ApiModelSerializer):
    contact = VisibleRelatedField(visible=visible_contacts, required=False, allow_null=True)
    sentiment = StrictIntegerField(min_value=-2, max_value=2, default=0)
    severity = StrictIntegerField(min_value=1, max_value=4, required=False, allow_null=True)
    goodwill_points = serializers.SerializerMethodField()

    class Meta:
        model = Interaction
        fields = [
            "id",
            "account",
            "account_external_id",
            "external_id",
            "occurred_at",
            "channel",
            "category",
            "sentiment",
            "minutes",
            "work_type",
            "severity",
            "contact",
            "summary",
            "author",
            "goodwill_points",
            "created_at",
        ]
        read_only_fields = ["author", "created_at"]
        extra_kwargs = {
            "external_id": {"allow_null": True, "required": False},
            "occurred_at": {"required": False},
        }

    def get_goodwill_points(self, interaction) -> int | None:
        """Points the interaction added to (or took from) the goodwill ledger."""
        entry = getattr(interaction, "trust_entry", None)
        return entry.points if entry else None


class InteractionRowSerializer(ApiSerializer):
    """One row of a bulk upsert: its shape (a malformed row rejects the request with 400); the
    service then applies it or reports it by index (unknown account, a rule it breaks)."""

    account = StrictIntegerField(required=False)
    account_external_id = StrictCharField(required=False)
    external_id = StrictCharField(required=False, allow_null=True)
    occurred_at = serializers.DateTimeField(required=False)
    channel = serializers.ChoiceField(Channel.choices)
    category = serializers.ChoiceField(Category.choices)
    sentiment = StrictIntegerField(required=False, min_value=-2, max_value=2)
    minutes = StrictIntegerField(required=False, min_value=0)
    work_type = serializers.ChoiceField(WorkType.choices, required=False)
    severity = StrictIntegerField(required=False, allow_null=True, min_value=1, max_value=4)
    contact = StrictIntegerField(required=False, allow_null=True)
    summary = StrictCharField(required=False, allow_blank=True)


class UsageRowSerializer(ApiSerializer):
    account = StrictIntegerField(required=False)
    account_external_id = StrictCharField(required=False)
    metric = StrictCharField(max_length=60)
    date = serializers.DateField()
    value = StrictFloatField()


class SubscriptionRowSerializer(ApiSerializer):
    account = StrictIntegerField(required=False)
    account_external_id = StrictCharField(required=False)
    external_id = StrictCharField(required=False, allow_null=True, max_length=100)
    product = StrictCharField(max_length=100)
    start_date = serializers.DateField()
    end_date = serializers.DateField(required=False, allow_null=True)
    mrr = MoneyField(max_digits=12, decimal_places=2, min_value=0)


class InteractionBulkRequestSerializer(ApiSerializer):
    rows = InteractionRowSerializer(many=True, max_length=settings.API_BULK_MAX_ROWS)


class UsageBulkRequestSerializer(ApiSerializer):
    rows = UsageRowSerializer(many=True, max_length=settings.API_BULK_MAX_ROWS)


class SubscriptionBulkRequestSerializer(ApiSerializer):
    rows = SubscriptionRowSerializer(many=True, max_length=settings.API_BULK_MAX_ROWS)


class RowErrorSerializer(ApiSerializer):
    index = StrictIntegerField(help_text="The row's position in `rows`, from 0.")
    errors = serializers.DictField(child=serializers.ListField(child=StrictCharField()))


class BulkResultSerializer(ApiSerializer):
    created = StrictIntegerField()
    updated = StrictIntegerField()
    errors = RowErrorSerializer(many=True)


class TrustEntrySerializer(ApiModelSerializer):
    reversed_by = serializers.SerializerMethodField()

    class Meta:
        model = TrustEntry
        fields = [
            "id",
            "account",
            "seq",
            "occurred_at",
            "recorded_at",
            "points",
            "base_points",
            "kind",
            "source",
            "reason",
            "interaction",
            "reverses",
            "reversed_by",
            "author",
            "balance_after",
        ]
        read_only_fields = fields

    def get_reversed_by(self, entry) -> int | None:
        """The id of the entry that reversed this one, if any."""
        reversal = getattr(entry, "reversed_by", None)
        return reversal.pk if reversal else None


class TrustEntryAppendSerializer(ApiSerializer):
    points = StrictIntegerField(min_value=-1000, max_value=1000)
    reason = StrictCharField(max_length=300)
    source = serializers.ChoiceField(
        [EntrySource.MILESTONE, EntrySource.INCIDENT, EntrySource.MANUAL],
        default=EntrySource.MANUAL,
    )
    occurred_at = serializers.DateTimeField(required=False)
    apply_cushion = StrictBooleanField(
        default=True, help_text="Soften a chute by the account's sustained goodwill."
    )


class TrustEntryReverseSerializer(ApiSerializer):
    reason = StrictCharField(max_length=250)


class SubscriptionSerializer(AccountRefSerializer, ApiModelSerializer):
    mrr = MoneyField(max_digits=12, decimal_places=2, min_value=0)

    class Meta:
        model = Subscription
        fields = [
            "id",
            "account",
            "account_external_id",
            "external_id",
            "product",
            "start_date",
            "end_date",
            "mrr",
        ]
        extra_kwargs = {"external_id": {"allow_null": True, "required": False, "validators": []}}

    def validate(self, attrs):
        attrs = super().validate(attrs)
        end, start = attrs.get("end_date"), attrs.get("start_date")
        if end and start and end < start:
            raise serializers.ValidationError({"end_date": ["Ends before it starts."]})
        return attrs


class UsageMetricSerializer(AccountRefSerializer, ApiModelSerializer):
    value = StrictFloatField(min_value=-1e15, max_value=1e15)

    class Meta:
        model = UsageMetric
        fields = ["id", "account", "account_external_id", "metric", "date", "value"]
        validators: list = []  # upsert by (account, metric, date), not "already exists"


class SurveyResponseSerializer(AccountRefSerializer, ApiModelSerializer):
    contact = VisibleRelatedField(visible=visible_contacts, required=False, allow_null=True)
    kind = serializers.ChoiceField(SurveyKind.choices)
    score = StrictIntegerField(min_value=0, max_value=10)

    class Meta:
        model = SurveyResponse
        fields = [
            "id",
            "account",
            "account_external_id",
            "external_id",
            "contact",
            "kind",
            "score",
            "comment",
            "responded_at",
        ]
        extra_kwargs = {
            "external_id": {"allow_null": True, "required": False, "validators": []},
            "responded_at": {"required": False},
        }


class IcpCriterionSerializer(ApiModelSerializer):
    value = serializers.JSONField(
        help_text="in/not_in: a list of values; between: [low, high] (either may be null); "
        "eq: a value; gte/lte: a number."
    )
    weight = StrictIntegerField(min_value=1, max_value=100, default=1)

    class Meta:
        model = IcpCriterion
        fields = ["id", "attribute", "custom_key", "operator", "value", "weight"]

    def validate(self, attrs):
        op, value = attrs.get("operator"), attrs.get("value")
        scalar = (str, int, float, bool, type(None))
        number = (int, float)
        ok = {
            IcpCriterion.Operator.IN: isinstance(value, list)
            and all(isinstance(v, scalar) for v in value),
            IcpCriterion.Operator.NOT_IN: isinstance(value, list)
            and all(isinstance(v, scalar) for v in value),
            IcpCriterion.Operator.BETWEEN: isinstance(value, list)
            and len(value) == 2
            and all(
                v is None or (isinstance(v, number) and not isinstance(v, bool)) for v in value
            ),
            IcpCriterion.Operator.EQ: isinstance(value, scalar),
            IcpCriterion.Operator.GTE: isinstance(value, number) and not isinstance(value, bool),
            IcpCriterion.Operator.LTE: isinstance(value, number) and not isinstance(value, bool),
        }.get(op, False)
        if not ok:
            raise serializers.ValidationError({"value": ["This value does not fit the operator."]})
        if attrs.get("attribute") == IcpCriterion.Attribute.CUSTOM and not attrs.get("custom_key"):
            raise serializers.ValidationError({"custom_key": ["Name the custom attribute."]})
        return attrs


# The shape `value` takes for each family of operators, as the validation above holds it:
# (component name part, operators, value schema).
_SCALAR = {"anyOf": [{"type": "string"}, {"type": "number"}, {"type": "boolean"}]}
CRITERION_VALUE_SHAPES = [
    (
        "List",
        ["in", "not_in"],
        {
            "type": "array",
            "items": {**_SCALAR, "nullable": True},
            "minItems": 1,
            "description": "The values (at least one).",
        },
    ),
    (
        "Range",
        ["between"],
        {
            "type": "array",
            "items": {"type": "number", "nullable": True},
            "minItems": 2,
            "maxItems": 2,
            "description": "[low, high], inclusive; either may be null (open).",
        },
    ),
    (
        "Equals",
        ["eq"],
        {
            # A blank string is no value to compare with (the model refuses it).
            "anyOf": [{"type": "string", "minLength": 1}, {"type": "number"}, {"type": "boolean"}],
            "description": "The value (not null, not a blank string).",
        },
    ),
    ("Bound", ["gte", "lte"], {"type": "number", "description": "The bound."}),
]


class IcpCriterionSchema(OpenApiSerializerExtension):
    """A criterion in a request is one of a few named shapes, so a body the schema admits is one
    the server takes: `value` as its operator needs it, `custom_key` named for a custom attribute.
    (Generated clients get a union of typed models.)"""

    target_class = IcpCriterionSerializer

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        if direction != "request":
            return schema
        properties = schema["properties"]
        attributes = [
            a for a in IcpCriterion.Attribute.values if a != IcpCriterion.Attribute.CUSTOM
        ]
        variants = []
        for shape, operators, value in CRITERION_VALUE_SHAPES:
            for custom in (False, True):
                kind = "Custom" if custom else "Field"
                variant = {
                    "type": "object",
                    "properties": {
                        **properties,
                        "attribute": self._enum(
                            auto_schema, f"Icp{kind}Attribute", ["custom"] if custom else attributes
                        ),
                        "operator": self._enum(auto_schema, f"Icp{shape}Operator", operators),
                        "value": value,
                    },
                    "required": ["attribute", "operator", "value"],
                }
                if custom:
                    variant["properties"]["custom_key"] = {
                        **properties["custom_key"],
                        "minLength": 1,
                        "description": "Key in the account's custom attributes (required).",
                    }
                    variant["required"].append("custom_key")
                name = f"IcpCriterion{shape}{'Custom' if custom else ''}Request"
                variants.append(self._component(auto_schema, name, variant))
        return {
            "oneOf": variants,
            "description": "One weighted test of an account attribute: `value` takes the shape "
            "its `operator` needs; a `custom` attribute names its `custom_key`.",
        }

    @staticmethod
    def _component(auto_schema, name: str, schema: dict) -> dict:
        component = ResolvedComponent(
            name=name, type=ResolvedComponent.SCHEMA, object=name, schema=schema
        )
        auto_schema.registry.register_on_missing(component)
        return component.ref

    def _enum(self, auto_schema, name: str, values: list[str]) -> dict:
        # Its own component: a bare enum property would be merged by drf-spectacular's enum
        # hook with the field's full choice set, and the shapes would no longer differ.
        return self._component(
            auto_schema, f"{name}Enum", {"type": "string", "enum": [str(v) for v in values]}
        )


class IdealCustomerProfileSerializer(ApiModelSerializer):
    criteria = IcpCriterionSerializer(
        many=True, required=False, help_text="Replaces all criteria when given."
    )
    good_fit_threshold = StrictIntegerField(min_value=0, max_value=100, default=70)

    class Meta:
        model = IdealCustomerProfile
        fields = [
            "id",
            "name",
            "description",
            "segment",
            "is_default",
            "is_active",
            "good_fit_threshold",
            "criteria",
            "updated_at",
        ]
        read_only_fields = ["updated_at"]


class AccountRemovalSerializer(ApiSerializer):
    """What DELETE did to an account."""

    id = serializers.IntegerField(help_text="The account's id.")
    status = serializers.ChoiceField(
        ["archived", "deleted"],
        help_text="`archived` (the default: restorable, history kept) or `deleted` (for good).",
    )
    changed = serializers.BooleanField(
        help_text="False when the account was already archived (a repeat changes nothing)."
    )
    archived_at = serializers.DateTimeField(allow_null=True)
    counts = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="Rows removed by kind (`deleted` only), e.g. trustentry, interaction, contact.",
    )


class ContactErasureSerializer(ApiSerializer):
    """What an erasure did (counts only: the response repeats no personal data)."""

    id = serializers.IntegerField(help_text="The contact's id (the row stays, anonymised).")
    account = serializers.IntegerField(help_text="The account's id.")
    changed = serializers.BooleanField(
        help_text="False when the contact was already erased (a repeat changes nothing)."
    )
    erased_at = serializers.DateTimeField()
    counts = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="Rows changed by kind: survey comments cleared or redacted, interaction "
        "summaries redacted, logged payloads redacted (outbox, idempotency replays, webhook "
        "deliveries), and `ledger_mentions`: ledger reasons (staff's words, append-only, "
        "never edited) that still name the person.",
    )
