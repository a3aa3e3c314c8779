"""Forms for the dashboards: book filters, portfolio scope, top-10 options, share links."""

from django import forms

from .selectors.book import BOOK_SORTS
from .selectors.reports import TOP_BY
from .services import MAX_SHARE_DAYS

BAND_CHOICES = [
    ("", "Any band"),
    ("red", "Red"),
    ("yellow", "Yellow"),
    ("green", "Green"),
    ("none", "Not scored"),
]
DECAY_CHOICES = [
    ("", "Any decay status"),
    ("in_decay", "In decay"),
    ("decaying", "Decaying"),
    ("stable", "Stable"),
]


class BookFilterForm(forms.Form):
    """Narrow and sort the CSM's book (all optional; bad values are ignored, not a 500)."""

    q = forms.CharField(label="Account name", required=False, max_length=100)
    band = forms.ChoiceField(label="Band", choices=BAND_CHOICES, required=False)
    decay = forms.ChoiceField(label="Decay", choices=DECAY_CHOICES, required=False)
    sort = forms.ChoiceField(
        required=False,
        choices=[(k, k) for k in BOOK_SORTS] + [(f"-{k}", f"-{k}") for k in BOOK_SORTS],
        widget=forms.HiddenInput,
    )

    def filters(self) -> dict:
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {"q": data["q"], "band": data["band"], "decay": data["decay"]}


class PortfolioForm(forms.Form):
    """Narrow the portfolio to one team and choose how renewals are grouped."""

    team = forms.TypedChoiceField(label="Team", coerce=int, required=False, empty_value=None)
    renewals = forms.ChoiceField(
        label="Renewals by",
        choices=[("week", "Week"), ("month", "Month")],
        required=False,
    )

    def __init__(self, *args, teams=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [("", "All my teams")] + [(t.pk, t.name) for t in teams]


class Top10Form(forms.Form):
    by = forms.ChoiceField(label="Rank by", choices=list(TOP_BY.items()), required=False)


class ShareCreateForm(forms.Form):
    """Open a read-only scorecard link for the customer."""

    days = forms.IntegerField(
        label="Link expires after (days)",
        min_value=1,
        max_value=MAX_SHARE_DAYS,
        initial=30,
        help_text=f"Between 1 and {MAX_SHARE_DAYS} days; you can revoke it sooner.",
    )
    note = forms.CharField(
        label="Shared with",
        required=False,
        max_length=120,
        help_text="Optional: who you are sending it to, so you can tell links apart.",
    )
