"""Background tasks of the assessment module (django-tasks; run by ``zj db_worker``).

Arguments are JSON values (ids), never model instances: the task may run in another process.
"""

from __future__ import annotations

from django_tasks import task

from zhengjiao.assessment import intake_operations


@task()
def import_declaration(import_id: int) -> dict:
    """Import an uploaded declaration file recorded as ``DeclarationImport`` ``import_id``.

    Safe to deliver twice: the import is claimed with a compare-and-set, and an import that is no
    longer queued is left alone. The import row holds the progress and the outcome; the return value
    is a short summary for the task's own record.
    """
    job = intake_operations.run_declaration_import(import_id=import_id)
    return {
        "import_id": job.pk,
        "status": job.status,
        "declaration_id": job.declaration_id,
        "error_count": job.error_count,
    }
