"""Forms for the health pages: validation requests and CSM-entered manual scores."""

from datetime import timedelta

from django import forms
from django.utils import timezone

from scorecards.models import ScorecardVersion, VersionStatus


def published_default_version_id() -> int | None:
    """The version the forms start on: what scores the portfolio today (the default
    scorecard's published version), so a first back-test needs no choice."""
    return (
        ScorecardVersion.objects.filter(scorecard__is_default=True, status=VersionStatus.PUBLISHED)
        .values_list("pk", flat=True)
        .first()
    )


class ValidationForm(forms.Form):
    version = forms.ModelChoiceField(
        queryset=ScorecardVersion.objects.none(), label="Scorecard version"
    )
    as_of = forms.DateField(
        label="Score as of", widget=forms.DateInput(attrs={"type": "date"}), required=True
    )
    horizon_days = forms.IntegerField(label="Churn horizon (days)", min_value=7, max_value=730)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].queryset = (
            ScorecardVersion.objects.exclude(status=VersionStatus.ARCHIVED)
            .select_related("scorecard")
            .order_by("scorecard__name", "-number")
        )
        self.fields["version"].initial = published_default_version_id()
        self.fields["as_of"].initial = timezone.localdate() - timedelta(days=90)
        self.fields["horizon_days"].initial = 90

    def clean(self):
        cleaned = super().clean()
        as_of, horizon = cleaned.get("as_of"), cleaned.get("horizon_days")
        if as_of and as_of >= timezone.localdate():
            self.add_error("as_of", "Back-test a past date so there is an outcome to compare with.")
        elif as_of and horizon and as_of + timedelta(days=horizon) > timezone.localdate():
            self.add_error(
                "horizon_days", "The horizon must end by today; pick an earlier date or less days."
            )
        return cleaned


class ManualValueForm(forms.Form):
    measure_key = forms.SlugField(max_length=40)
    score = forms.IntegerField(min_value=0, max_value=100)
    reason = forms.CharField(max_length=300)


class BacktestForm(forms.Form):
    """A back-test over time: the version, the dates, the churn horizon and the split."""

    version = forms.ModelChoiceField(
        queryset=ScorecardVersion.objects.none(), label="Scorecard version"
    )
    start = forms.DateField(label="First date", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="Last date", widget=forms.DateInput(attrs={"type": "date"}))
    step_days = forms.IntegerField(label="Every (days)", min_value=1, max_value=365, initial=28)
    horizon_days = forms.IntegerField(
        label="Churn horizon (days)", min_value=7, max_value=730, initial=90
    )
    split_on = forms.DateField(label="Test from", widget=forms.DateInput(attrs={"type": "date"}))
    new_days = forms.IntegerField(
        label="New accounts: first (days)",
        min_value=1,
        max_value=3650,
        required=False,
        help_text="Fit the suggestion separately for accounts younger than this and the rest "
        "(a scorecard by lifecycle). Empty: the version's own split, if any.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"].queryset = (
            ScorecardVersion.objects.exclude(status=VersionStatus.ARCHIVED)
            .select_related("scorecard")
            .order_by("scorecard__name", "-number")
        )
        self.fields["version"].initial = published_default_version_id()
        today = timezone.localdate()
        self.fields["end"].initial = today - timedelta(days=91)
        self.fields["start"].initial = today - timedelta(days=91 + 28 * 11)
        self.fields["split_on"].initial = today - timedelta(days=91 + 28 * 4)
