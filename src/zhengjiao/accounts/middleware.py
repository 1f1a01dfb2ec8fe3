"""Send signed-in sessions that owe their second factor to the TOTP pages."""

from __future__ import annotations

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect

from zhengjiao.accounts.second_factor import SETUP_PATH, VERIFY_PATH, Pending, pending_second_factor

# Paths a session may reach while its second factor is pending. The API has its own check
# (``api_auth``): a pending session is not accepted there.
ALLOWED_PREFIXES = (VERIFY_PATH, SETUP_PATH, "/logout/", "/static/", "/api/", "/i18n/")


class SecondFactorMiddleware:
    """Place after ``AuthenticationMiddleware``.

    A session whose user has TOTP on but has not entered a code goes to ``/login/totp/``; a staff
    user without TOTP while ``ZJ_REQUIRE_TOTP_FOR_STAFF`` is on goes to ``/account/totp/setup/``.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith(ALLOWED_PREFIXES):
            pending = pending_second_factor(request)
            if pending is not None:
                target = VERIFY_PATH if pending == Pending.VERIFY else SETUP_PATH
                url = f"{target}?{urlencode({'next': request.get_full_path()})}"
                if request.headers.get("HX-Request") == "true":
                    # htmx would swap the redirected page into a fragment; make it load the whole page.
                    response = HttpResponse(status=204)
                    response["HX-Redirect"] = url
                    return response
                return HttpResponseRedirect(url)
        return self.get_response(request)
