"""Sign-in pages: password, TOTP code, TOTP enrolment, sign-out. Views only translate (rule 9)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView, LogoutView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from zhengjiao.accounts.forms import LoginForm, TotpCodeForm
from zhengjiao.accounts.http import client_ip
from zhengjiao.accounts.operations import (
    SecondFactorResult,
    confirm_totp,
    start_totp_enrolment,
    verify_second_factor,
)
from zhengjiao.accounts.second_factor import (
    SETUP_PATH,
    VERIFY_PATH,
    Pending,
    is_verified,
    mark_verified,
    pending_second_factor,
)
from zhengjiao.core.errors import DomainError

login_view = LoginView.as_view(
    template_name="accounts/login.html", authentication_form=LoginForm, redirect_authenticated_user=True
)
logout_view = LogoutView.as_view(next_page=settings.LOGIN_URL)


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
@login_required
def totp_verify(request: HttpRequest) -> HttpResponse:
    """Ask for the code of a user who has TOTP on; too many wrong codes lock the account."""
    next_url = _next_url(request)
    if not request.user.totp_confirmed:
        if pending_second_factor(request) == Pending.SETUP:
            return redirect(_with_next(SETUP_PATH, next_url))
        return redirect(next_url)
    if is_verified(request):
        return redirect(next_url)
    form = TotpCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        result = verify_second_factor(
            user=request.user, code=form.cleaned_data["code"], ip=client_ip(request)
        )
        if result == SecondFactorResult.OK:
            mark_verified(request)
            return redirect(next_url)
        if result == SecondFactorResult.LOCKED:
            logout(request)
            messages.error(
                request,
                _("Too many wrong codes: the account is locked for %(minutes)s minutes.")
                % {"minutes": settings.ZJ_LOGIN_LOCKOUT_MINUTES},
            )
            return redirect(settings.LOGIN_URL)
        form.add_error("code", _("The code is wrong, has expired or was already used."))
    return render(request, "accounts/totp_verify.html", {"form": form, "next": next_url})


@sensitive_post_parameters("code")
@csrf_protect
@never_cache
@login_required
def totp_setup(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app: show the secret, then turn TOTP on with a first code."""
    next_url = _next_url(request)
    user = request.user
    if user.totp_confirmed:
        # Enrolling again must not become a way around the code: verify first.
        if not is_verified(request):
            return redirect(_with_next(VERIFY_PATH, next_url))
        return render(request, "accounts/totp_setup.html", {"enabled": True, "next": next_url})
    form = TotpCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            confirm_totp(actor=user, user=user, code=form.cleaned_data["code"])
        except DomainError as error:
            form.add_error("code", error.message(get_language() or "zh-hans"))
        else:
            mark_verified(request)
            messages.success(request, _("Two-step verification is on."))
            return redirect(next_url)
    enrolment = start_totp_enrolment(actor=user, user=user)
    grouped = " ".join(enrolment.secret[i : i + 4] for i in range(0, len(enrolment.secret), 4))
    return render(
        request,
        "accounts/totp_setup.html",
        {
            "enabled": False,
            "form": form,
            "secret": grouped,
            "uri": enrolment.provisioning_uri,
            "next": next_url,
        },
    )


def _next_url(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    if not safe or candidate.startswith((VERIFY_PATH, SETUP_PATH)):
        return settings.LOGIN_REDIRECT_URL
    return candidate


def _with_next(path: str, next_url: str) -> str:
    return f"{path}?{urlencode({'next': next_url})}"
