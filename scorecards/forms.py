"""Scorecard editing forms: one row per measure (params flattened) and per band."""

from django import forms

from accounts.models import Segment

from .kinds import kind_params
from .models import MeasureKind, MissingPolicy, UsageAggregation

PARAM_FIELDS = (
    "metric",
    "aggregation",
    "window_days",
    "n",
    "per_seat",
    "survey",
    "valid_days",
    "unit",
    "denominator",
    "no_rows",
    "new_days",
    "established_days",
    "curve",
)


class MeasureForm(forms.Form):
    key = forms.SlugField(max_length=40)
    label = forms.CharField(max_length=100)
    kind = forms.ChoiceField(choices=MeasureKind.choices, initial=MeasureKind.ICP_FIT)
    weight = forms.FloatField(min_value=0.1)
    bad = forms.FloatField(help_text="Raw value scoring 0")
    good = forms.FloatField(help_text="Raw value scoring 100")
    missing_policy = forms.ChoiceField(choices=MissingPolicy.choices, initial=MissingPolicy.EXCLUDE)
    metric = forms.CharField(max_length=60, required=False, help_text="usage: metric name")
    aggregation = forms.ChoiceField(choices=[("", "–"), *UsageAggregation.choices], required=False)
    window_days = forms.IntegerField(min_value=1, max_value=730, required=False)
    n = forms.IntegerField(min_value=1, max_value=200, required=False, label="Last N")
    per_seat = forms.BooleanField(required=False)
    survey = forms.ChoiceField(
        choices=[("", "–"), ("nps", "NPS"), ("csat", "CSAT")], required=False
    )
    valid_days = forms.IntegerField(min_value=1, max_value=365, required=False)
    unit = forms.CharField(max_length=10, required=False)
    denominator = forms.CharField(
        max_length=60, required=False, help_text="usage ratio: the metric divided by"
    )
    no_rows = forms.ChoiceField(
        choices=[
            ("", "–"),
            ("zero", "No rows in the window = no use (if it has usage history)"),
            ("missing", "No rows in the window = no data (missing policy)"),
        ],
        required=False,
        label="No usage rows",
    )
    new_days = forms.IntegerField(min_value=1, max_value=3650, required=False)
    # A learned scoring curve ([[raw, score], ...], from suggested weights) kept across edits.
    curve = forms.JSONField(required=False, widget=forms.HiddenInput)
    established_days = forms.IntegerField(min_value=1, max_value=3650, required=False)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("bad") is not None and cleaned.get("bad") == cleaned.get("good"):
            self.add_error("good", "Bad and good thresholds must differ.")
        kind = cleaned.get("kind")
        if kind in MeasureKind.usage_kinds() and not cleaned.get("metric"):
            self.add_error("metric", "A usage measure needs a metric name.")
        if kind == MeasureKind.USAGE and not cleaned.get("aggregation"):
            self.add_error("aggregation", "Choose how usage is aggregated.")
        if kind == MeasureKind.USAGE_RATIO and not cleaned.get("denominator"):
            self.add_error("denominator", "A usage ratio needs the metric it divides by.")
        return cleaned

    def as_measure(self) -> dict:
        data = self.cleaned_data
        # Only the settings this kind takes: a field left filled in from another kind is dropped.
        params = {
            p.name: data[p.name]
            for p in kind_params(data["kind"])
            if data.get(p.name) not in (None, "", False)
        }
        return {
            "key": data["key"],
            "label": data["label"],
            "kind": data["kind"],
            "weight": data["weight"],
            "bad": data["bad"],
            "good": data["good"],
            "missing_policy": data["missing_policy"],
            "params": params,
        }

    @staticmethod
    def initial_from(measure) -> dict:
        return {
            "key": measure.key,
            "label": measure.label,
            "kind": measure.kind,
            "weight": measure.weight,
            "bad": measure.bad,
            "good": measure.good,
            "missing_policy": measure.missing_policy,
            **{name: (measure.params or {}).get(name) for name in PARAM_FIELDS},
        }


class BandForm(forms.Form):
    key = forms.SlugField(max_length=20)
    label = forms.CharField(max_length=40)
    min_score = forms.IntegerField(min_value=0, max_value=100)
    colour = forms.RegexField(
        regex=r"^#[0-9a-fA-F]{6}$",
        initial="#98a2b3",
        widget=forms.TextInput(attrs={"type": "color"}),
        error_messages={"invalid": "Use a colour like #1f9d55."},
    )

    def as_band(self) -> dict:
        return {k: self.cleaned_data[k] for k in ("key", "label", "min_score", "colour")}


MeasureFormSet = forms.formset_factory(MeasureForm, extra=1, can_delete=True)
BandFormSet = forms.formset_factory(BandForm, extra=1, can_delete=True)


class VersionNotesForm(forms.Form):
    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class ScorecardCreateForm(forms.Form):
    name = forms.CharField(max_length=100)
    segment = forms.ModelChoiceField(queryset=Segment.objects.filter(scorecard__isnull=True))
