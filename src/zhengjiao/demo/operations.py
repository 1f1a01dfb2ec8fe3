"""``prepare_demo``: users, policy and a small generated province for ``zj demo``. Idempotent.

Development only: the demo users share a fixed, printed password.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from zhengjiao.accounts.models import Department, User
from zhengjiao.accounts.operations import create_user
from zhengjiao.core.errors import DomainError
from zhengjiao.core.regions import JIANGSU
from zhengjiao.demo.jobs import GenerationResult, Progress, generate_province
from zhengjiao.demo.models import GenerationRun, GroundTruthEmployer, GroundTruthPerson, RunStatus
from zhengjiao.demo.rules import PersonKind, ProvinceSpec
from zhengjiao.policy.operations import load_bundled_policy
from zhengjiao.registry.models import Employer, Person

DEMO_PASSWORD = "zhengjiao-demo-2026"  # noqa: S105 — printed on purpose; development only
DEMO_SEED = 2026
DEMO_PERSONS = 5_000
PERSONS_PER_DEMO_EMPLOYER = 50 / 3
"""About 300 employers for the default 5,000 persons."""

# (username, department, what the user is for). Two hrss users: a policy version takes effect only
# when a second hrss user approves it.
STAFF_USERS: tuple[tuple[str, str, str], ...] = (
    ("demo_hrss", Department.HRSS, "人社：政策参数（提出）"),
    ("demo_hrss2", Department.HRSS, "人社：政策参数（复核批准）"),
    ("demo_agency", Department.AGENCY, "经办机构：参保登记"),
    ("demo_tax", Department.TAX, "税务"),
    ("demo_finance", Department.FINANCE, "财政"),
    ("demo_audit", Department.AUDIT, "审计：只读与审计日志"),
    ("demo_bank", Department.BANK, "银行接口"),
    ("demo_sysadmin", Department.SYSADMIN, "系统管理：用户与令牌"),
)
EMPLOYER_USER = "demo_employer"
INDIVIDUAL_USER = "demo_person"


@dataclass(frozen=True)
class DemoCredential:
    username: str
    department: str
    region_code: str
    password: str
    note: str


@dataclass(frozen=True)
class DemoSetup:
    credentials: tuple[DemoCredential, ...]
    policy_version: int
    generation: GenerationResult | None
    """The generation done by this call (``None`` when the database already held a province)."""


def prepare_demo(
    *,
    persons: int = DEMO_PERSONS,
    employers: int | None = None,
    seed: int = DEMO_SEED,
    progress: Progress | None = None,
) -> DemoSetup:
    """Make the (migrated) database ready for the demo: one user per department, the bundled policy
    approved by two hrss users, a generated province unless one is there already, and a portal
    user for one generated employer and one of its employees. A second call reuses everything.
    """
    if settings.PRODUCTION:
        raise DomainError(
            "demo.production", "演示数据不能在生产环境中创建", "The demo cannot be set up in production"
        )
    credentials = [_staff_user(username, department, note) for username, department, note in STAFF_USERS]
    proposer, approver = (User.objects.get(username=name) for name in ("demo_hrss", "demo_hrss2"))
    policy = load_bundled_policy(proposer=proposer, approver=approver)
    generation = _ensure_province(persons, employers, seed, progress)
    credentials += _portal_users()
    return DemoSetup(tuple(credentials), policy_version=policy.number, generation=generation)


def _staff_user(username: str, department: str, note: str) -> DemoCredential:
    if not User.objects.filter(username=username).exists():
        create_user(
            actor=None, username=username, department=department, region_code=JIANGSU, password=DEMO_PASSWORD
        )
    return DemoCredential(username, department, JIANGSU, DEMO_PASSWORD, note)


def _ensure_province(
    persons: int, employers: int | None, seed: int, progress: Progress | None
) -> GenerationResult | None:
    run = GenerationRun.objects.first()
    if run is not None and run.status == RunStatus.DONE:
        return None
    if run is not None:  # a run that stopped half-way: finish it with its own parameters
        spec = ProvinceSpec(
            seed=run.seed,
            persons=run.persons,
            employers=run.employers,
            region_code=run.region_code,
            as_of=run.as_of,
        )
    else:
        count = employers if employers is not None else max(1, round(persons / PERSONS_PER_DEMO_EMPLOYER))
        spec = ProvinceSpec(seed=seed, persons=persons, employers=count)
    return generate_province(spec=spec, progress=progress)


def _portal_users() -> list[DemoCredential]:
    """The employer user acts for the largest generated employer; the individual is one of its staff."""
    truth = GroundTruthEmployer.objects.order_by("-headcount", "uscc").first()
    if truth is None:
        return []
    employer = Employer.objects.get(uscc=truth.uscc)
    employee = (
        GroundTruthPerson.objects.filter(true_employer_uscc=truth.uscc, kind=PersonKind.EMPLOYEE)
        .order_by("person_id_number")
        .first()
    )
    out = [
        _portal_user(
            EMPLOYER_USER,
            Department.EMPLOYER,
            employer.region_code,
            f"单位：{employer.name}",
            employer_uscc=employer.uscc,
        )
    ]
    if employee is not None:
        person = Person.objects.get(id_number=employee.person_id_number)
        out.append(
            _portal_user(
                INDIVIDUAL_USER,
                Department.INDIVIDUAL,
                person.region_code,
                f"个人：{person.name}",
                person_id_number=person.id_number,
            )
        )
    return out


def _portal_user(
    username: str, department: str, region_code: str, note: str, **identity: str
) -> DemoCredential:
    existing = User.objects.filter(username=username).first()
    if existing is None:
        create_user(
            actor=None,
            username=username,
            department=department,
            region_code=region_code,
            password=DEMO_PASSWORD,
            **identity,
        )
    else:
        region_code = existing.region_code
    return DemoCredential(username, department, region_code, DEMO_PASSWORD, note)
