"""Web pages. Sign-in pages live in ``accounts.urls``; the language switch is Django's ``set_language``."""

from django.urls import path, re_path

from zhengjiao.web.views import (
    agency_exchange,
    arrears_cases,
    arrears_close,
    arrears_dashboard,
    arrears_relief,
    arrears_statement,
    assessment,
    audit,
    calculator,
    collection,
    declarations,
    exchange,
    fiscal,
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
    # Exchange monitor: pair status, messages, one envelope, the quarantine and its retry.
    path("exchange/", exchange.monitor, name="exchange_monitor"),
    path("exchange/messages/export.csv", exchange.messages_export, name="exchange_messages_export"),
    path("exchange/messages/<str:message_id>/", exchange.message_detail, name="exchange_message"),
    path("exchange/quarantine/", exchange.quarantine, name="exchange_quarantine"),
    path("exchange/quarantine/<str:message_id>/retry/", exchange.retry, name="exchange_retry"),
    # Finance: the fiscal special account.
    path("finance/", fiscal.accounts, name="fiscal_accounts"),
    path("finance/balances/", fiscal.balances, name="fiscal_balances"),
    path("finance/balances/export.csv", fiscal.balances_export, name="fiscal_balances_export"),
    path("finance/deposits/", fiscal.deposits, name="fiscal_deposits"),
    path("finance/deposits/export.csv", fiscal.deposits_export, name="fiscal_deposits_export"),
    path("finance/unconfirmed/", fiscal.exceptions, name="fiscal_exceptions"),
    path("finance/remittance-items/", fiscal.remittance_items, name="fiscal_remittance_items"),
    # Tax: collection progress, unmatched payments (maker-checker), receipts, payers, counter payments.
    path("tax/progress/", collection.progress, name="collection_progress"),
    path("tax/progress/export.csv", collection.progress_export, name="collection_progress_export"),
    path("tax/unmatched/", collection.unmatched, name="collection_unmatched"),
    path("tax/unmatched/<int:payment_id>/propose/", collection.propose, name="collection_propose"),
    path(
        "tax/matches/<int:match_id>/approve/",
        collection.decide,
        {"decision": "approve"},
        name="collection_match_approve",
    ),
    path(
        "tax/matches/<int:match_id>/reject/",
        collection.decide,
        {"decision": "reject"},
        name="collection_match_reject",
    ),
    path("tax/receipts/", collection.receipts, name="collection_receipts"),
    path("tax/receipts/<str:number>.pdf", collection.receipt_download, name="collection_receipt_pdf"),
    path("tax/payers/", collection.payer_lookup, name="collection_payer_lookup"),
    path("tax/payers/<str:payer_key>/", collection.payer_bills, name="collection_payer_bills"),
    path(
        "tax/payers/<str:payer_key>/bills.csv",
        collection.payer_bills_export,
        name="collection_payer_bills_export",
    ),
    path("tax/payments/new/", collection.counter_payment, name="collection_counter_payment"),
    # Agency side of the exchange: sending the collection plan (queued, with progress), reports from tax.
    path("agency/plan/", agency_exchange.plan_sending, name="agency_plan_sending"),
    path("agency/plan/sends/<uuid:task_id>/", agency_exchange.plan_send, name="agency_plan_send"),
    path("agency/tax-reports/", agency_exchange.tax_reports, name="agency_tax_reports"),
    path("agency/tax-reports/<int:pk>/", agency_exchange.tax_report, name="agency_tax_report"),
    path(
        "agency/tax-reports/<int:pk>/confirm/",
        agency_exchange.tax_report_action,
        {"action": "confirm"},
        name="agency_tax_report_confirm",
    ),
    path(
        "agency/tax-reports/<int:pk>/reject/",
        agency_exchange.tax_report_action,
        {"action": "reject"},
        name="agency_tax_report_reject",
    ),
    path(
        "agency/tax-reports/<int:pk>/acknowledge/",
        agency_exchange.tax_report_action,
        {"action": "acknowledge"},
        name="agency_tax_report_acknowledge",
    ),
    # Employers: their own bills, payments and receipts as tax holds them.
    path("my/bills/", collection.my_bills, name="my_bills"),
    path("my/bills/export.csv", collection.my_bills_export, name="my_bills_export"),
    # Arrears (issue 5 §6): the dashboard and its files, balances as of a past close, employer
    # statements, write-off and deferral approval.
    path("arrears/", arrears_dashboard.dashboard, name="arrears_dashboard"),
    re_path(
        r"^arrears/export\.(?P<fmt>csv|xlsx)$",
        arrears_dashboard.dashboard_export,
        name="arrears_dashboard_export",
    ),
    path("arrears/balances/", arrears_dashboard.balances, name="arrears_balances"),
    path("arrears/balances/export.csv", arrears_dashboard.balances_export, name="arrears_balances_export"),
    path("arrears/cases/", arrears_cases.workbench, name="arrears_cases"),
    path("arrears/cases/export.csv", arrears_cases.workbench_export, name="arrears_cases_export"),
    path("arrears/cases/<int:pk>/", arrears_cases.case_detail, name="arrears_case"),
    re_path(
        r"^arrears/cases/(?P<pk>[0-9]+)/(?P<action>advance|pause|resume|close|assign|agreement|fine)/$",
        arrears_cases.case_action,
        name="arrears_case_action",
    ),
    path("arrears/documents/<int:pk>.pdf", arrears_cases.document_pdf, name="arrears_document_pdf"),
    path("arrears/statements/", arrears_statement.statement_lookup, name="arrears_statement_lookup"),
    path("arrears/statements/<str:payer_key>/", arrears_statement.statement, name="arrears_statement"),
    path(
        "arrears/statements/documents/<int:pk>.pdf",
        arrears_statement.statement_pdf,
        name="arrears_statement_pdf",
    ),
    path("arrears/write-offs/", arrears_relief.write_offs, name="arrears_write_offs"),
    path("arrears/write-offs/<int:pk>/", arrears_relief.write_off, name="arrears_write_off"),
    path(
        "arrears/write-offs/<int:pk>/approve/",
        arrears_relief.write_off_approve,
        name="arrears_write_off_approve",
    ),
    path("arrears/deferrals/", arrears_relief.deferrals, name="arrears_deferrals"),
    re_path(
        r"^arrears/deferrals/(?P<pk>[0-9]+)/(?P<decision>approve|refuse)/$",
        arrears_relief.deferral_decide,
        name="arrears_deferral_decide",
    ),
    path("arrears/close/", arrears_close.close_page, name="arrears_close"),
    path("arrears/close/runs/<uuid:task_id>/", arrears_close.close_run, name="arrears_close_run"),
    path("my/arrears/", arrears_statement.my_arrears, name="my_arrears"),
    path(
        "my/arrears/statements/<int:pk>.pdf",
        arrears_statement.my_statement_pdf,
        name="my_arrears_statement_pdf",
    ),
]
