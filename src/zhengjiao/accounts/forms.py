"""Forms of the sign-in pages."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    """Django's sign-in form; its refusal mentions the lockout without saying whether it applies
    (that would tell an attacker which user names exist)."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "Wrong user name or password, or the account is locked after %(max_failures)s failed attempts "
            "(it unlocks after %(minutes)s minutes)."
        ),
    }

    def get_invalid_login_error(self):
        return forms.ValidationError(
            self.error_messages["invalid_login"],
            code="invalid_login",
            params={
                "max_failures": settings.ZJ_LOGIN_MAX_FAILURES,
                "minutes": settings.ZJ_LOGIN_LOCKOUT_MINUTES,
            },
        )


class TotpCodeForm(forms.Form):
    code = forms.RegexField(
        label=_("Six-digit code"),
        regex=r"^\s*[0-9]{3}\s?[0-9]{3}\s*$",
        max_length=8,
        error_messages={"invalid": _("Enter the six digits your authenticator app shows.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )
