from django import forms
from django.contrib.auth.forms import AuthenticationForm

from .services import login_failure_record, login_failures_clear, login_is_locked


class LockoutAuthenticationForm(AuthenticationForm):
    """The login form, refusing a username+address that failed too often recently."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "locked": "Too many failed sign-in attempts. Try again in a few minutes.",
    }

    def _address(self) -> str:
        return self.request.META.get("REMOTE_ADDR", "") if self.request else ""

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        if username and login_is_locked(username=username, address=self._address()):
            raise forms.ValidationError(self.error_messages["locked"], code="locked")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            if username:
                login_failure_record(username=username, address=self._address())
            raise
        login_failures_clear(username=username, address=self._address())
        return cleaned
