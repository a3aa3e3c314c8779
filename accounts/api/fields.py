"""Serializer fields that only ever resolve records the caller may see."""

from rest_framework import serializers

from accounts.models import Account, Contact
from core.api.fields import ApiSerializer, StrictCharField

MAX_ID = 2**31 - 1


class VisibleRelatedField(serializers.PrimaryKeyRelatedField):
    """A primary key resolved within `visible(user)`; others look exactly like missing ids."""

    def __init__(self, *, visible, **kwargs):
        self.visible = visible
        super().__init__(**kwargs)

    def get_queryset(self):
        return self.visible(self.context["request"].user)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int) or not 1 <= data <= MAX_ID:
            if isinstance(data, int) and not isinstance(data, bool):
                self.fail("does_not_exist", pk_value=data)
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(data)


def visible_accounts(user):
    return Account.objects.for_user(user)


def visible_contacts(user):
    return Contact.objects.filter(account__in=Account.objects.for_user(user))


class AccountRefSerializer(ApiSerializer):
    """`account` (id) or `account_external_id` names the account; either must be visible."""

    account = VisibleRelatedField(visible=visible_accounts, required=False)
    account_external_id = StrictCharField(
        write_only=True,
        required=False,
        max_length=100,
        help_text="The account's external_id, instead of `account`.",
    )

    def validate(self, attrs):
        external_id = attrs.pop("account_external_id", None)
        if external_id is not None:
            account = (
                visible_accounts(self.context["request"].user)
                .filter(external_id=external_id)
                .first()
            )
            if account is None:
                raise serializers.ValidationError(
                    {"account_external_id": ["No account with this external_id."]},
                    code="does_not_exist",
                )
            if "account" in attrs:
                # One name per account: the schema's two shapes each take one of the two.
                raise serializers.ValidationError(
                    {"account": ["Give `account` (id) or `account_external_id`, not both."]}
                )
            attrs["account"] = account
        # A create or a full replacement (PUT) names the account, as the schema requires;
        # only a partial update (PATCH) may leave it as it is.
        if "account" not in attrs and (self.instance is None or not self.partial):
            raise serializers.ValidationError(
                {"account": ["Give `account` (id) or `account_external_id`."]}
            )
        return super().validate(attrs)
