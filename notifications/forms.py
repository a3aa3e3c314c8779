"""The notification preferences form."""

from django import forms

from .models import ALERT_KIND_CHOICES, NotificationPreference, time_zone_names


class NotificationPreferenceForm(forms.ModelForm):
    in_app_kinds = forms.MultipleChoiceField(
        label="Show in the app",
        choices=ALERT_KIND_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    email_kinds = forms.MultipleChoiceField(
        label="Send by e-mail",
        choices=ALERT_KIND_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    time_zone = forms.ChoiceField(label="Your time zone", required=False)

    class Meta:
        model = NotificationPreference
        fields = [
            "in_app_kinds",
            "email_kinds",
            "digest_enabled",
            "quiet_hours_start",
            "quiet_hours_end",
            "time_zone",
        ]
        labels = {
            "digest_enabled": "E-mail me the digest (daily for CSMs, weekly for managers)",
            "quiet_hours_start": "Quiet hours from",
            "quiet_hours_end": "Quiet hours until",
        }
        widgets = {
            "quiet_hours_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "quiet_hours_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }

    def __init__(self, *args, site_zone: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = [
            ("", f"The site's time zone ({site_zone})"),
            *((name, name) for name in sorted(time_zone_names())),
        ]

    def clean(self):
        data = super().clean()
        start, end = data.get("quiet_hours_start"), data.get("quiet_hours_end")
        if (start is None) != (end is None):
            self.add_error(
                "quiet_hours_end" if start else "quiet_hours_start",
                "Give both ends of the quiet hours, or neither.",
            )
        return data
