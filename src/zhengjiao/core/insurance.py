"""Insurance types, enrollment categories and payers: names from shared/GLOSSARY.md."""

from __future__ import annotations

from enum import StrEnum


class InsuranceType(StrEnum):
    PENSION = "pension"
    MEDICAL = "medical"
    UNEMPLOYMENT = "unemployment"
    WORK_INJURY = "work_injury"
    MATERNITY = "maternity"
    RESIDENT_PENSION = "resident_pension"
    RESIDENT_MEDICAL = "resident_medical"


INSURANCE_TYPE_ZH = {
    InsuranceType.PENSION: "养老保险",
    InsuranceType.MEDICAL: "医疗保险",
    InsuranceType.UNEMPLOYMENT: "失业保险",
    InsuranceType.WORK_INJURY: "工伤保险",
    InsuranceType.MATERNITY: "生育保险",
    InsuranceType.RESIDENT_PENSION: "城乡居民养老保险",
    InsuranceType.RESIDENT_MEDICAL: "城乡居民医疗保险",
}

EMPLOYEE_TYPES = (
    InsuranceType.PENSION,
    InsuranceType.MEDICAL,
    InsuranceType.UNEMPLOYMENT,
    InsuranceType.WORK_INJURY,
    InsuranceType.MATERNITY,
)


class Category(StrEnum):
    """How a person is enrolled: through an employer, alone, or in the resident schemes."""

    EMPLOYEE = "employee"
    FLEXIBLE = "flexible"
    RESIDENT = "resident"


CATEGORY_ZH = {Category.EMPLOYEE: "职工", Category.FLEXIBLE: "灵活就业人员", Category.RESIDENT: "城乡居民"}


class Payer(StrEnum):
    EMPLOYER = "employer"
    INDIVIDUAL = "individual"
