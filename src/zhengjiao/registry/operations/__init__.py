"""Registry writes (agency): one function per use case, keyword-only, one transaction, audited.

Every operation takes ``actor`` (a ``User``), checks the actor's department and region, validates
its input before writing, and raises a coded ``DomainError`` (nothing written) on bad input.
Identity numbers appear in audit summaries only masked.
"""

from zhengjiao.registry.operations.change_requests import (
    approve_change_request,
    reject_change_request,
    request_id_number_change,
    request_person_merge,
)
from zhengjiao.registry.operations.employers import (
    EmployerRegistration,
    change_employer,
    change_employer_status,
    register_employer,
)
from zhengjiao.registry.operations.employment import (
    EmploymentStart,
    end_employment,
    end_enrollment,
    enroll,
    start_employment,
)
from zhengjiao.registry.operations.persons import change_person, change_person_status, register_person

__all__ = [
    "EmployerRegistration",
    "EmploymentStart",
    "approve_change_request",
    "change_employer",
    "change_employer_status",
    "change_person",
    "change_person_status",
    "end_employment",
    "end_enrollment",
    "enroll",
    "register_employer",
    "register_person",
    "reject_change_request",
    "request_id_number_change",
    "request_person_merge",
    "start_employment",
]
