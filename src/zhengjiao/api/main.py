"""The JSON API under /api/v1 (Django Ninja).

Routers are thin (CONVENTIONS rule 9): they parse input, call one operation or query and render
the result. Errors follow ``zhengjiao.api.errors``. Every route needs a bearer token or a signed-in
session (``accounts.api_auth``) except the health check, the policy parameters (public law) and
the OpenAPI document and its docs page. See docs/api.md for the conventions.
"""

from ninja import NinjaAPI, Schema

from zhengjiao.accounts.api_auth import api_auth
from zhengjiao.api import (
    arrears_cases,
    arrears_close,
    arrears_relief,
    assessments,
    calculations,
    collection,
    declarations,
    employers,
    employment,
    exchange,
    fiscal,
    persons,
    plans,
    policy,
    records,
    unmask,
)
from zhengjiao.api.docs import LocalSwagger
from zhengjiao.api.errors import StrictJsonParser, ZhengjiaoRenderer, install_error_handlers

api = NinjaAPI(
    title="Zhengjiao API",
    version="1",
    description="Social insurance contribution collection (征缴). Conventions: docs/api.md.",
    urls_namespace="api",
    auth=api_auth,
    parser=StrictJsonParser(),
    renderer=ZhengjiaoRenderer(),
    docs=LocalSwagger(),
    docs_url="/docs",
)
install_error_handlers(api)

api.add_router("/employers", employers.router)
api.add_router("/persons", persons.router)
api.add_router("/employment-spells", employment.spells_router)
api.add_router("/enrollments", employment.enrollments_router)
api.add_router("/policy", policy.router)
api.add_router("/unmask", unmask.router)
api.add_router("/declarations", declarations.router)
api.add_router("/assessments", assessments.router)
api.add_router("/employers", assessments.receivables_router)
api.add_router("/persons", records.persons_router)
# Before records.plans_router: its ``/{period}`` would otherwise take ``/dispatches``.
api.add_router("/collection-plans", plans.plans_router)
api.add_router("/collection-plans", records.plans_router)
api.add_router("/tax-reports", plans.reports_router)
api.add_router("/calculations", calculations.router)
api.add_router("/payments", collection.payments_router)
api.add_router("/payment-matches", collection.matches_router)
api.add_router("/payers", collection.payers_router)
api.add_router("/collection", collection.progress_router)
api.add_router("/receipts", collection.receipts_router)
api.add_router("/withholding-agreements", collection.agreements_router)
api.add_router("/bank-files", collection.bank_files_router)
api.add_router("/remittances", collection.remittances_router)
api.add_router("/fiscal", fiscal.router)
api.add_router("/exchange", exchange.router)
api.add_router("/arrears", arrears_close.router)
api.add_router("/arrears", arrears_cases.router)
api.add_router("/arrears", arrears_relief.router)


@api.get("/health", auth=None, tags=["meta"])
def health(request) -> dict:
    return {"status": "ok"}


class MeOut(Schema):
    username: str
    department: str
    region_code: str


@api.get("/me", auth=api_auth, response=MeOut, tags=["meta"])
def me(request) -> dict:
    """Who the token or session belongs to."""
    user = request.auth
    return {"username": user.username, "department": user.department, "region_code": user.region_code}
