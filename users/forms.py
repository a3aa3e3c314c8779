from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm

from .services import login_failure_record, login_failures_clear, login_is_locked

LOCKED_MESSAGE = "Too many failed sign-in attempts. Try again in a few minutes."


class LockoutMixin:
    """Refuse a username+address that failed too often recently, on whichever sign-in form
    (they share one counter, so /admin/login/ is no way around the /login/ lockout)."""

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


class LockoutAuthenticationForm(LockoutMixin, AuthenticationForm):
    """The login form, refusing a username+address that failed too often recently."""

    error_messages = {**AuthenticationForm.error_messages, "locked": LOCKED_MESSAGE}


class AdminLockoutAuthenticationForm(LockoutMixin, AdminAuthenticationForm):
    """The Django admin's login form with the same lockout as /login/."""

    error_messages = {**AdminAuthenticationForm.error_messages, "locked": LOCKED_MESSAGE}
