"""The browser form for registering a webhook (the API validates the same fields)."""

from django import forms

from .models import WebhookEvent, validate_webhook_url


class WebhookForm(forms.Form):
    name = forms.CharField(max_length=100)
    url = forms.URLField(
        label="URL",
        max_length=500,
        assume_scheme="https",
        validators=[validate_webhook_url],
        help_text="The http(s) endpoint that receives the signed POSTs.",
    )
    events = forms.MultipleChoiceField(
        choices=WebhookEvent.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one event."},
    )
