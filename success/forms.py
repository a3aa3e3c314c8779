"""Forms for plans, CTAs, lessons learned and the success settings pages."""

from django import forms
from django.forms import inlineformset_factory, modelformset_factory
from django.utils import timezone

from success.models import (
    CtaOutcome,
    InterventionRule,
    LessonLearned,
    PlanStep,
    PlanTemplate,
    PlanTemplateStep,
    Playbook,
    PlaybookStep,
    ScopeDelivery,
)
from success.selectors import cta_assignable_users
from success.services.ctas import NOTE_MAX_LENGTH
from success.services.plans import DEFAULT_SHARE_DAYS, MAX_SHARE_DAYS

DATE = forms.DateInput(attrs={"type": "date"})


class PlanStartForm(forms.Form):
    template = forms.ModelChoiceField(
        queryset=PlanTemplate.objects.none(),
        required=False,
        empty_label="Blank plan (add steps yourself)",
    )
    started_on = forms.DateField(widget=DATE, initial=timezone.localdate)
    name = forms.CharField(max_length=160, required=False, help_text="Defaults to the template's.")
    objective = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="The customer's own objective; defaults to the segment's required outcome.",
    )

    def __init__(self, *args, account, **kwargs):
        super().__init__(*args, **kwargs)
        templates = PlanTemplate.objects.filter(is_active=True).select_related("segment")
        if account.segment_id:
            templates = templates.filter(segment_id=account.segment_id)
        self.fields["template"].queryset = templates
        first = templates.first()
        if first is not None:
            self.fields["template"].initial = first.pk


class PlanStepForm(forms.ModelForm):
    class Meta:
        model = PlanStep
        fields = [
            "title",
            "description",
            "owner_side",
            "scope",
            "starts_on",
            "due_on",
            "order",
            "is_milestone",
            "ladder_points",
            "chute_points",
        ]
        widgets = {
            "starts_on": DATE,
            "due_on": DATE,
            "description": forms.Textarea(attrs={"rows": 2}),
        }

    def clean(self):
        data = super().clean()
        starts_on, due_on = data.get("starts_on"), data.get("due_on")
        if starts_on and due_on and due_on < starts_on:
            self.add_error("due_on", "The due date cannot be before the start date.")
        return data


class StepCompleteForm(forms.Form):
    completed_on = forms.DateField(widget=DATE, initial=timezone.localdate)
    note = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean_completed_on(self):
        day = self.cleaned_data["completed_on"]
        if day > timezone.localdate():
            raise forms.ValidationError("A step cannot be completed in the future.")
        return day


class PlanOutcomeForm(forms.Form):
    OBJECTIVE_CHOICES = [("", "Not decided yet"), ("yes", "Yes, met"), ("no", "No, not met")]

    objective_met = forms.ChoiceField(
        choices=OBJECTIVE_CHOICES,
        required=False,
        label="Was the customer's objective met?",
    )
    scope_delivery = forms.ChoiceField(
        choices=[("", "Work it out from our-scope steps"), *ScopeDelivery.choices],
        required=False,
        label="Our scope was delivered",
    )
    closed_on = forms.DateField(widget=DATE, initial=timezone.localdate)
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean_objective_met(self):
        return {"yes": True, "no": False}.get(self.cleaned_data["objective_met"])

    def clean_closed_on(self):
        day = self.cleaned_data["closed_on"]
        if day > timezone.localdate():
            raise forms.ValidationError("A plan cannot close in the future.")
        return day


class ShareForm(forms.Form):
    days = forms.IntegerField(
        min_value=1, max_value=MAX_SHARE_DAYS, initial=DEFAULT_SHARE_DAYS, label="Valid for (days)"
    )


class LessonLearnedForm(forms.ModelForm):
    class Meta:
        model = LessonLearned
        fields = ["kind", "reason_code", "notes", "recorded_on"]
        widgets = {"recorded_on": DATE, "notes": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["recorded_on"].initial = timezone.localdate()


# --- settings ------------------------------------------------------------------------------
class PlanTemplateForm(forms.ModelForm):
    class Meta:
        model = PlanTemplate
        fields = ["segment", "name", "description", "is_active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}


PlanTemplateStepFormSet = inlineformset_factory(
    PlanTemplate,
    PlanTemplateStep,
    fields=[
        "order",
        "title",
        "description",
        "owner_side",
        "scope",
        "offset_days",
        "duration_days",
        "is_milestone",
        "ladder_points",
        "chute_points",
    ],
    widgets={"description": forms.Textarea(attrs={"rows": 1})},
    extra=2,
    can_delete=True,
)


class PlaybookForm(forms.ModelForm):
    class Meta:
        model = Playbook
        fields = ["name", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}


PlaybookStepFormSet = inlineformset_factory(
    Playbook, PlaybookStep, fields=["order", "text"], extra=3, can_delete=True
)

InterventionRuleFormSet = modelformset_factory(
    InterventionRule,
    fields=["is_enabled", "threshold", "priority", "due_in_days", "cooldown_days", "playbook"],
    extra=0,
)


# --- working a CTA (each form has its own prefix: the detail page shows them together) -----
class CtaCloseForm(forms.Form):
    prefix = "close"
    outcome = forms.ChoiceField(choices=[("", "Choose an outcome…"), *CtaOutcome.choices])
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        label="Closing note",
        help_text="What happened, for whoever reads this later.",
    )


class CtaNoteForm(forms.Form):
    prefix = "note"
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=NOTE_MAX_LENGTH,
        label="Add a note",
        help_text="Type @username to mention someone who can see this CTA.",
    )


def _person(user) -> str:
    name = user.get_full_name()
    return f"{name} (@{user.username})" if name else f"@{user.username}"


class PersonChoiceField(forms.ModelChoiceField):
    """A select of people that reads them once per form (the widget asks for the choices
    twice: once to check the first option, once to draw them)."""

    def _get_choices(self):
        if self.queryset is None:
            return super()._get_choices()
        if getattr(self, "_people", None) is None:
            # a comprehension, not list(): list() asks the iterator's len(), a COUNT query
            self._people = [choice for choice in super()._get_choices()]  # noqa: C416
        return self._people

    def _set_queryset(self, queryset):
        self._people = None
        super()._set_queryset(queryset)

    def label_from_instance(self, obj) -> str:
        # On the class: the choices are read (and kept) as soon as the queryset is set.
        return _person(obj)

    choices = property(_get_choices, forms.ChoiceField.choices.fset)
    queryset = property(forms.ModelChoiceField._get_queryset, _set_queryset)


class CtaReassignForm(forms.Form):
    prefix = "reassign"
    owner = PersonChoiceField(queryset=None, label="Assign to", empty_label=None)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = cta_assignable_users()


class CtaSnoozeForm(forms.Form):
    prefix = "snooze"
    until = forms.DateField(widget=DATE, label="Snooze until")


class CtaDueForm(forms.Form):
    prefix = "due"
    due_on = forms.DateField(widget=DATE, label="Due date")


class _IdsField(forms.TypedMultipleChoiceField):
    """Any integer ids (the service decides which ones the user may touch)."""

    def valid_value(self, value) -> bool:
        return True


class CtaBulkForm(forms.Form):
    """The list page's action bar: the ticked CTAs and what to do with them."""

    ACTIONS = [("close", "Close with outcome"), ("reassign", "Reassign")]

    ids = _IdsField(coerce=int, error_messages={"required": "Tick at least one CTA first."})
    action = forms.ChoiceField(choices=ACTIONS, label="With the selected")
    outcome = forms.ChoiceField(
        choices=[("", "Outcome…"), *CtaOutcome.choices],
        required=False,
        label="Close with outcome",
    )
    note = forms.CharField(max_length=NOTE_MAX_LENGTH, required=False, label="Closing note")
    owner = PersonChoiceField(
        queryset=None, required=False, label="Assign to", empty_label="Person…"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = cta_assignable_users()

    def clean(self):
        data = super().clean()
        if data.get("action") == "close" and not data.get("outcome"):
            self.add_error("outcome", "Choose the outcome to close with.")
        if data.get("action") == "reassign" and not data.get("owner"):
            self.add_error("owner", "Choose who to assign them to.")
        return data
