"""Pure generation of a deterministic synthetic province (no Django: an import-linter contract).

``ProvinceSpec`` says what to make; ``build_geography``, ``iter_employers``, ``EmployerDirectory``
and ``PersonFactory`` make it, record by record, the same for the same seed whatever range of
indices is asked for.
"""

from zhengjiao.demo.rules.base import DEFAULT_AS_OF, Geography, ProvinceSpec, build_geography
from zhengjiao.demo.rules.employers import EmployerDirectory, EmployerRecord, iter_employers
from zhengjiao.demo.rules.persons import (
    EnrollmentRecord,
    PersonFactory,
    PersonKind,
    PersonRecord,
    SpellRecord,
    enrollments_of,
)

__all__ = [
    "DEFAULT_AS_OF",
    "EmployerDirectory",
    "EmployerRecord",
    "EnrollmentRecord",
    "Geography",
    "PersonFactory",
    "PersonKind",
    "PersonRecord",
    "ProvinceSpec",
    "SpellRecord",
    "build_geography",
    "enrollments_of",
    "iter_employers",
]
