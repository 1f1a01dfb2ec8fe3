"""Assessment writes (agency): declarations and assessment requests. One function per use case,
keyword-only, one transaction, audited; bad input raises a coded ``DomainError`` and writes nothing.

The batch assessment itself is ``assessment.jobs.assess_period`` (set-based, chunked).
"""

from zhengjiao.assessment.operations.assessments import request_assessment
from zhengjiao.assessment.operations.declarations import (
    DeclarationRejected,
    DeclaredLine,
    LineError,
    submit_declaration,
)

__all__ = ["DeclarationRejected", "DeclaredLine", "LineError", "request_assessment", "submit_declaration"]
