"""Forms for the account pages and the admin settings pages (parsing only; services write)."""

import math
from collections import Counter

from django import forms
from django.urls import reverse
from django.utils import timezone

from .account_fields import ACCOUNT_WRITABLE
from .models import (
    Account,
    Category,
    Channel,
    Contact,
    EntrySource,
    IcpCriterion,
    IdealCustomerProfile,
    Segment,
    TrustPolicy,
    TrustRule,
    WorkType,
)
from .selectors import account_owner_choices
from .services.imports import KINDS as IMPORT_KINDS

SENTIMENTS = [(2, "+2 very positive"), (1, "+1 positive"), (0, "0 neutral"), (-1, "-1 negative")]
SENTIMENTS += [(-2, "-2 very negative")]
SEVERITIES = [("", "—"), (1, "1 minor"), (2, "2"), (3, "3"), (4, "4 critical")]


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


def account_choices(user):
    return (
        Account.objects.for_user(user).only("pk", "name", "region", "external_id").order_by("name")
    )


def account_menu(accounts) -> list[tuple[int, str]]:
    """(id, label) choices naming each account; two accounts of one name (a CRM's regional
    subsidiaries, say) carry their region and CRM id, so nobody logs work against the wrong
    one."""
    accounts = list(accounts)
    seen = Counter(a.name.casefold() for a in accounts)
    return [
        (
            a.pk,
            a.name
            if seen[a.name.casefold()] == 1
            else f"{a.name} ({', '.join(filter(None, [a.region, a.external_id or f'#{a.pk}']))})",
        )
        for a in accounts
    ]


class InteractionForm(forms.Form):
    """Log an interaction in a few seconds; `account` is asked only when no account is fixed."""

    account = forms.ModelChoiceField(queryset=Account.objects.none())
    category = forms.ChoiceField(choices=Category.choices)
    channel = forms.ChoiceField(choices=Channel.choices, initial=Channel.CALL)
    sentiment = forms.TypedChoiceField(choices=SENTIMENTS, coerce=int, initial=0)
    severity = forms.TypedChoiceField(
        choices=SEVERITIES, coerce=int, required=False, empty_value=None, help_text="Escalations."
    )
    minutes = forms.IntegerField(min_value=0, max_value=24 * 60, initial=30)
    work_type = forms.ChoiceField(choices=WorkType.choices, initial=WorkType.SUPPORT)
    contact = forms.ModelChoiceField(
        queryset=Contact.objects.none(), required=False, empty_label="No one in particular"
    )
    occurred_at = forms.DateTimeField(
        widget=DateTimeLocalInput(), required=False, help_text="Empty: now."
    )
    summary = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    MENU_SIZE = 200

    def __init__(self, *args, user, account: Account | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fixed_account = account
        if account is not None:
            del self.fields["account"]
            self.fields["contact"].queryset = account.contacts.order_by("name")
            return
        # Validate against every account the user may see, but only list a bounded menu
        # (their own book first) so the page stays small for a manager or an admin who
        # sees 100,000 accounts. Other accounts are logged from their own page.
        visible = account_choices(user)
        self.fields["account"].queryset = visible
        menu = list(visible.filter(owner=user)[: self.MENU_SIZE]) or list(visible[: self.MENU_SIZE])
        self.fields["account"].widget.choices = [("", "Choose an account")] + account_menu(menu)
        self.fields["account"].widget.attrs.update(
            {
                "hx-get": reverse("accounts:interaction_contacts"),
                "hx-target": "#quicklog-contact",
                "hx-swap": "outerHTML",
                "hx-trigger": "change",
            }
        )
        # Only the chosen account's people: recording work against someone at another
        # account is the mistake this form must not invite.
        chosen = self.chosen_account_id(visible)
        contacts = Contact.objects.filter(account_id=chosen) if chosen else Contact.objects.none()
        self.fields["contact"].queryset = contacts.order_by("name")
        if not chosen:
            self.fields["contact"].empty_label = "Choose an account first"

    def chosen_account_id(self, visible) -> int | None:
        """The account picked in the submitted data (or the initial data), if the user sees it."""
        raw = self.data.get("account") if self.is_bound else self.initial.get("account")
        try:
            pk = int(raw)
        except (TypeError, ValueError):
            return None
        return pk if visible.filter(pk=pk).exists() else None

    def clean(self):
        cleaned = super().clean()
        account = self.fixed_account or cleaned.get("account")
        contact = cleaned.get("contact")
        if contact and account and contact.account_id != account.pk:
            self.add_error("contact", "This contact works at another account.")
        if not cleaned.get("occurred_at"):
            cleaned["occurred_at"] = timezone.now()
        return cleaned

    def service_fields(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "account"}


class LedgerEntryForm(forms.Form):
    """A milestone, incident or manual adjustment: points with a mandatory reason."""

    SOURCES = [
        (EntrySource.MILESTONE, "Milestone (goodwill earned)"),
        (EntrySource.INCIDENT, "Incident (goodwill lost, cushioned)"),
        (EntrySource.MANUAL, "Manual adjustment"),
    ]
    source = forms.ChoiceField(choices=SOURCES)
    points = forms.IntegerField(min_value=-500, max_value=500)
    reason = forms.CharField(max_length=300)
    occurred_at = forms.DateTimeField(widget=DateTimeLocalInput(), required=False)

    def __init__(self, *args, **kwargs):
        # The account page also holds the interaction form: its own ids keep labels unique.
        kwargs.setdefault("auto_id", "ledger_%s")
        super().__init__(*args, **kwargs)

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("A reason is required for every ledger entry.")
        return reason

    def clean(self):
        cleaned = super().clean()
        points, source = cleaned.get("points"), cleaned.get("source")
        if points == 0:
            self.add_error("points", "An entry moves the balance: enter points other than 0.")
        elif points is not None and source == EntrySource.MILESTONE and points < 0:
            self.add_error("points", "A milestone earns goodwill: use positive points.")
        elif points is not None and source == EntrySource.INCIDENT and points > 0:
            self.add_error("points", "An incident costs goodwill: use negative points.")
        return cleaned


class ReversalForm(forms.Form):
    reason = forms.CharField(max_length=250)


class ContactForm(forms.ModelForm):
    """A person at the account, added or corrected by their CSM."""

    class Meta:
        model = Contact
        fields = [
            "name",
            "title",
            "email",
            "phone",
            "is_champion",
            "is_decision_maker",
            "is_user",
        ]
        labels = {
            "is_champion": "Champion",
            "is_decision_maker": "Decision maker",
            "is_user": "Uses the product",
        }


class AccountForm(forms.ModelForm):
    """What a CSM may change on their account; managers and admins may also reassign it."""

    class Meta:
        model = Account
        fields = ACCOUNT_WRITABLE
        widgets = {
            "contract_start": DateInput(),
            "renewal_date": DateInput(),
            "churned_on": DateInput(),
            **{
                f"strategy_{h}": forms.Textarea(attrs={"rows": 2})
                for h in ("3m", "6m", "12m", "18m")
            },
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if user.is_admin_role or user.is_manager:
            self.fields["owner"].queryset = account_owner_choices(user=user).order_by("username")
        else:  # a CSM may only name themselves: nothing to choose
            del self.fields["owner"]


# --- admin settings ------------------------------------------------------------------------
class IcpForm(forms.ModelForm):
    class Meta:
        model = IdealCustomerProfile
        fields = ["name", "description", "segment", "is_default", "is_active", "good_fit_threshold"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}

    def clean_good_fit_threshold(self):
        value = self.cleaned_data["good_fit_threshold"]
        if value > 100:
            raise forms.ValidationError("The threshold is a fit score from 0 to 100.")
        return value


def _scalar(text: str):
    """'42' -> 42, '1.5' -> 1.5, anything else (including 'nan', 'inf') stays text."""
    text = text.strip()
    for cast in (int, float):
        try:
            value = cast(text)
        except ValueError:
            continue
        if isinstance(value, int) or math.isfinite(value):  # no NaN/Infinity in JSON
            return value
    return text


class IcpCriterionForm(forms.ModelForm):
    """One weighted criterion; the value is typed as text and stored as JSON."""

    value_text = forms.CharField(
        label="Value",
        required=False,
        help_text="Comma-separated for 'is one of'/'is none of'; a single value otherwise.",
    )
    low = forms.DecimalField(required=False, help_text="Between: lower bound (empty = open).")
    high = forms.DecimalField(required=False, help_text="Between: upper bound (empty = open).")

    class Meta:
        model = IcpCriterion
        fields = ["attribute", "custom_key", "operator", "weight"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        value = self.instance.value if self.instance.pk else None
        if isinstance(value, list) and self.instance.operator == IcpCriterion.Operator.BETWEEN:
            self.initial["low"], self.initial["high"] = (value + [None, None])[:2]
        elif isinstance(value, list):
            self.initial["value_text"] = ", ".join(str(v) for v in value)
        elif value is not None:
            self.initial["value_text"] = str(value)

    def clean(self):
        cleaned = super().clean()
        operator, text = cleaned.get("operator"), (cleaned.get("value_text") or "").strip()
        attribute = cleaned.get("attribute")
        if attribute == IcpCriterion.Attribute.CUSTOM and not cleaned.get("custom_key"):
            self.add_error("custom_key", "Name the custom attribute to test.")
        Operator = IcpCriterion.Operator
        if operator == Operator.BETWEEN:
            low, high = cleaned.get("low"), cleaned.get("high")
            if low is None and high is None:
                self.add_error("low", "Give at least one bound.")
            elif low is not None and high is not None and low > high:
                self.add_error("high", "The upper bound is below the lower bound.")
            self.instance.value = [
                None if low is None else float(low),
                None if high is None else float(high),
            ]
        elif operator in (Operator.IN, Operator.NOT_IN):
            items = [item.strip() for item in text.split(",") if item.strip()]
            if not items:
                self.add_error("value_text", "List at least one value.")
            self.instance.value = items
        elif operator:
            if not text:
                self.add_error("value_text", "Enter a value.")
            self.instance.value = _scalar(text)
        return cleaned


class TrustRuleForm(forms.ModelForm):
    sentiment = forms.TypedChoiceField(
        choices=[("", "any")] + SENTIMENTS, coerce=int, required=False, empty_value=None
    )
    severity = forms.TypedChoiceField(
        choices=[("", "any")] + SEVERITIES[1:], coerce=int, required=False, empty_value=None
    )

    class Meta:
        model = TrustRule
        fields = ["category", "sentiment", "severity", "points", "description"]

    def clean_points(self):
        points = self.cleaned_data["points"]
        if not -500 <= points <= 500:
            raise forms.ValidationError("Keep points between -500 and +500.")
        return points


class TrustPolicyForm(forms.ModelForm):
    class Meta:
        model = TrustPolicy
        fields = ["cushion_window_days", "full_cushion_balance", "max_cushion", "starting_balance"]
        help_texts = {
            "max_cushion": "0 (no cushion) up to 0.99; 0.5 halves a chute at full goodwill.",
            "full_cushion_balance": "Sustained balance at which the full cushion applies.",
            "cushion_window_days": "Sustained = the lowest balance held over this many days.",
        }

    def clean_max_cushion(self):
        value = self.cleaned_data["max_cushion"]
        if not 0 <= value < 1:
            raise forms.ValidationError("The cushion is a share from 0 up to (not including) 1.")
        return value

    def clean_full_cushion_balance(self):
        value = self.cleaned_data["full_cushion_balance"]
        if value < 1:
            raise forms.ValidationError("Use at least 1.")
        return value


class SegmentForm(forms.ModelForm):
    class Meta:
        model = Segment
        fields = ["name", "description", "required_outcome", "appropriate_experience"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 2}),
            "required_outcome": forms.Textarea(attrs={"rows": 3}),
            "appropriate_experience": forms.Textarea(attrs={"rows": 3}),
        }


class ImportForm(forms.Form):
    KINDS = [(kind, kind.title()) for kind in IMPORT_KINDS]  # what the import service takes
    kind = forms.ChoiceField(choices=KINDS)
    file = forms.FileField(required=False, help_text="A CSV export from your CRM (UTF-8).")
    content = forms.CharField(widget=forms.HiddenInput, required=False)

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("file")
        if upload:
            raw = upload.read()
            try:
                cleaned["content"] = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                self.add_error("file", "The file is not UTF-8 text; export it as CSV (UTF-8).")
        elif not cleaned.get("content"):
            self.add_error("file", "Choose a CSV file.")
        return cleaned
