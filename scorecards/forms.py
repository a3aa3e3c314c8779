"""Scorecard editing forms: one row per measure (its kind's settings flattened) and per band."""

from django import forms

from accounts.models import Segment

from .kinds import Param, all_params, kind_params, kinds_using, measure_params_clean
from .models import MeasureKind, MeasureStage, MissingPolicy


def _param_field(param: Param) -> forms.Field:
    """The form field for one kind setting, from its definition in scorecards/kinds.py."""
    common = {"required": False, "label": param.label, "help_text": param.help_text}
    if param.type is list:
        # A learned scoring curve ([[raw, score], ...]) is kept across edits, not typed in.
        return forms.JSONField(widget=forms.HiddenInput, **common)
    if param.type is bool:
        return forms.BooleanField(**common)
    if param.choices:
        return forms.ChoiceField(choices=[("", "–"), *param.choices], **common)
    if param.type is int:
        return forms.IntegerField(min_value=param.min_value, max_value=param.max_value, **common)
    if param.type is float:
        return forms.FloatField(min_value=param.min_value, max_value=param.max_value, **common)
    return forms.CharField(max_length=param.max_length, **common)


PARAMS = all_params()


def _label_row_inputs(form: forms.Form, what: str) -> None:
    """Inputs in a table row have no <label> of their own: name them for screen readers."""
    index = (form.prefix or "").rsplit("-", 1)[-1]
    row = str(int(index) + 1) if index.isdigit() else "new"
    for name in ("key", "label", "kind", "weight", "bad", "good", "missing_policy", "stage",
                 "min_score", "colour"):  # fmt: skip
        field = form.fields.get(name)
        if field is not None:
            label = field.label or name.replace("_", " ").capitalize()
            field.widget.attrs["aria-label"] = f"{what} {row}: {label}"


class MeasureForm(forms.Form):
    """One measure row; its settings are the union of every kind's, and only the ones of the
    chosen kind are shown (static/js/app.js) and kept (`as_measure`)."""

    key = forms.SlugField(max_length=40)
    label = forms.CharField(max_length=100)
    kind = forms.ChoiceField(
        choices=MeasureKind.choices,
        initial=MeasureKind.ICP_FIT,
        widget=forms.Select(attrs={"data-measure-kind": ""}),
    )
    weight = forms.FloatField(min_value=0.1)
    bad = forms.FloatField(help_text="Raw value scoring 0")
    good = forms.FloatField(help_text="Raw value scoring 100")
    missing_policy = forms.ChoiceField(
        choices=MissingPolicy.choices, initial=MissingPolicy.EXCLUDE, label="If missing"
    )
    stage = forms.ChoiceField(
        choices=MeasureStage.choices,
        initial=MeasureStage.ALL,
        label="Scores",
        help_text="On a scorecard by lifecycle: all accounts, or only new or established ones.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, param in PARAMS.items():
            self.fields[name] = _param_field(param)
        _label_row_inputs(self, "Measure")

    def param_fields(self) -> list[tuple]:
        """(bound field, the kinds that use it as a space-separated list) per setting."""
        return [(self[name], " ".join(kinds_using(name))) for name in PARAMS]

    def _raw_params(self, kind: str) -> dict:
        data = self.cleaned_data
        return {
            p.name: data[p.name]
            for p in kind_params(kind)
            if data.get(p.name) not in (None, "", False)
        }

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        if kind:
            _, errors = measure_params_clean(kind, self._raw_params(kind))
            for name, messages in errors.items():
                self.add_error(name if name in self.fields else None, messages)
        return cleaned

    def as_measure(self) -> dict:
        data = self.cleaned_data
        # Only the settings this kind takes: a field left filled in from another kind is dropped.
        params, _ = measure_params_clean(data["kind"], self._raw_params(data["kind"]))
        return {
            "key": data["key"],
            "label": data["label"],
            "kind": data["kind"],
            "weight": data["weight"],
            "bad": data["bad"],
            "good": data["good"],
            "missing_policy": data["missing_policy"],
            "params": params,
            "stage": data.get("stage") or MeasureStage.ALL,
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
            "stage": measure.stage,
            **{name: (measure.params or {}).get(name) for name in PARAMS},
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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _label_row_inputs(self, "Band")

    def as_band(self) -> dict:
        return {k: self.cleaned_data[k] for k in ("key", "label", "min_score", "colour")}


class _RowFormSet(forms.BaseFormSet):
    """Rows of a table: the delete box is named for screen readers like the row's inputs."""

    row_name = "Row"

    def add_fields(self, form, index):
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            row = "new" if index is None else index + 1
            form.fields["DELETE"].widget.attrs["aria-label"] = f"Delete {self.row_name} {row}"


class _MeasureRows(_RowFormSet):
    row_name = "measure"


class _BandRows(_RowFormSet):
    row_name = "band"


MeasureFormSet = forms.formset_factory(MeasureForm, formset=_MeasureRows, extra=1, can_delete=True)
BandFormSet = forms.formset_factory(BandForm, formset=_BandRows, extra=1, can_delete=True)


class VersionNotesForm(forms.Form):
    """What a draft says about itself, and its lifecycle split."""

    notes = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    new_days = forms.IntegerField(
        label="Scorecard by lifecycle: new for the first (days)",
        min_value=1,
        max_value=3650,
        required=False,
        help_text="Accounts younger than this (tenure: since contract start or first "
        "subscription) are scored with the measures for new accounts, the rest with those for "
        "established ones; measures for all accounts count in both. Empty: one set for all.",
    )


class ScorecardCreateForm(forms.Form):
    name = forms.CharField(max_length=100)
    segment = forms.ModelChoiceField(queryset=Segment.objects.filter(scorecard__isnull=True))
