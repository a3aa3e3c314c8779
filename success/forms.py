"""Forms for plans, CTAs, lessons learned and the success settings pages."""

from django import forms
from django.forms import inlineformset_factory, modelformset_factory
from django.utils import timezone

from success.models import (
    InterventionRule,
    LessonLearned,
    PlanStep,
    PlanTemplate,
    PlanTemplateStep,
    Playbook,
    PlaybookStep,
    ScopeDelivery,
)
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
