"""Web pages. Sign-in pages live in ``accounts.urls``; the language switch is Django's ``set_language``."""

from django.urls import path, re_path

from zhengjiao.web.views import (
    assessment,
    audit,
    calculator,
    declarations,
    home,
    policy,
    registration,
    registry,
    users,
)

app_name = "web"
urlpatterns = [
    path("", home.home, name="home"),
    # Registry: search, CSV of the page shown, details, registration.
    path("registry/employers/", registry.employer_search, name="employer_search"),
    path("registry/employers/export.csv", registry.employer_export, name="employer_export"),
    path("registry/employers/new/", registration.employer_register, name="employer_register"),
    path("registry/employers/<str:uscc>/", registry.employer_detail, name="employer_detail"),
    path("registry/persons/", registry.person_search, name="person_search"),
    path("registry/persons/export.csv", registry.person_export, name="person_export"),
    path("registry/persons/new/", registration.person_register, name="person_register"),
    path("registry/persons/<int:pk>/", registry.person_detail, name="person_detail"),
    path("registry/persons/<int:pk>/unmask/", registry.person_unmask, name="person_unmask"),
    path("registry/employments/new/", registration.employment_register, name="employment_register"),
    path("registry/enrollments/new/", registration.enrollment_register, name="enrollment_register"),
    path("my/unit/", registry.my_employer, name="my_employer"),
    path("my/record/", registry.my_record, name="my_record"),
    # Declarations: upload with the validation report, the template, an upload's progress and report.
    path("declarations/", declarations.declaration_upload, name="declaration_upload"),
    re_path(
        r"^declarations/template\.(?P<fmt>csv|xlsx)$",
        declarations.declaration_template,
        name="declaration_template",
    ),
    path("declarations/imports/<int:pk>/", declarations.declaration_import, name="declaration_import"),
    path(
        "declarations/imports/<int:pk>/errors.csv",
        declarations.declaration_import_errors,
        name="declaration_import_errors",
    ),
    # Assessment: runs and their progress, receivables, records, the collection plan, the chart.
    path("assessment/runs/", assessment.assessment_runs, name="assessment_runs"),
    path("assessment/runs/<int:pk>/", assessment.assessment_run, name="assessment_run"),
    path("assessment/collection-plan/", assessment.collection_plan, name="collection_plan"),
    re_path(
        r"^assessment/collection-plan/download\.(?P<fmt>csv|xlsx|json)$",
        assessment.collection_plan_download,
        name="collection_plan_download",
    ),
    path("assessment/chart/", assessment.receivables_chart, name="receivables_chart"),
    path(
        "registry/employers/<str:uscc>/receivables/",
        assessment.employer_receivables,
        name="employer_receivables",
    ),
    path("registry/persons/<int:pk>/record/", assessment.person_record, name="person_record"),
    path("my/contributions/", assessment.my_contributions, name="my_contributions"),
    # The contribution calculator: public, like its API route.
    path("calculator/", calculator.calculator_page, name="calculator"),
    # Policy: parameters in force, versions, approval.
    path("policy/", policy.parameters, name="policy_parameters"),
    path("policy/versions/", policy.versions, name="policy_versions"),
    path("policy/versions/<int:version_id>/approve/", policy.approve, name="policy_approve"),
    # Audit log (audit department) and user management (sysadmin).
    path("audit/", audit.audit_log, name="audit_log"),
    path("audit/verify/", audit.audit_verify, name="audit_verify"),
    path("users/", users.user_list, name="user_list"),
]
