"""Starting an assessment run from an interface (API, web): who may, over what, inline or queued."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from zhengjiao.accounts.models import User
from zhengjiao.accounts.scoping import require_department, scope_of
from zhengjiao.assessment import jobs
from zhengjiao.assessment.models import AssessmentRun
from zhengjiao.audit.operations import record_denial, record_event
from zhengjiao.core.errors import DomainError, NotFound, PermissionDeniedError
from zhengjiao.core.period import Period
from zhengjiao.core.regions import subtree_prefix
from zhengjiao.registry.models import Employer

ASSESSORS = ("agency",)


def request_assessment(
    *,
    actor: User,
    period: str | Period,
    as_of: date,
    region_code: str | None = None,
    employer_uscc: str | None = None,
) -> AssessmentRun:
    """Assess ``period`` for one employer (run inline: the returned run is ``done``) or for a region
    (default: the actor's region; queued as ``jobs.assess_period_task`` once this transaction
    commits: the returned run is ``queued``, or already ``done`` under the immediate task backend).

    Agency staff only (``access.denied``, recorded); a region outside theirs is
    ``access.out_of_region`` (recorded); an employer outside it is ``assessment.unknown_employer``.
    """
    scope = scope_of(actor)
    require_department(scope, *ASSESSORS, action="assessment.request_assessment")
    region = region_code or scope.region_code
    try:
        inside = subtree_prefix(region).startswith(scope.region_prefix)
    except DomainError as error:
        error.field = "region"
        raise
    if not inside:
        record_denial(
            actor=actor,
            action="access.denied",
            summary={"attempted": "assessment.request_assessment", "region": region},
        )
        raise PermissionDeniedError(
            "access.out_of_region",
            f"行政区划 {region} 不在您的管辖范围（{scope.region_code}）内。",
            f"Region {region} is outside your region ({scope.region_code}).",
            field="region",
        )
    if employer_uscc:
        uscc = employer_uscc.strip().upper()
        if not Employer.objects.filter(uscc=uscc, region_code__startswith=subtree_prefix(region)).exists():
            raise NotFound(
                "assessment.unknown_employer",
                f"未找到统一社会信用代码为 {employer_uscc} 的用人单位。",
                f"No employer with unified social credit code {employer_uscc}.",
                field="employer",
            )
    with transaction.atomic():
        run = jobs.create_run(
            period=period, as_of=as_of, region_code=region, employer_uscc=employer_uscc, actor=actor
        )
        record_event(
            actor=actor,
            action="assessment.request_assessment",
            object_type="assessment_run",
            object_id=run.pk,
            summary={"period": run.period, "region_code": run.region_code, "uscc": employer_uscc or None},
        )
        if not employer_uscc:
            run_id = run.pk
            transaction.on_commit(lambda: jobs.assess_period_task.enqueue(run_id))
    if employer_uscc:
        return jobs.resume_run(run_id=run.pk)
    run.refresh_from_db()
    return run
