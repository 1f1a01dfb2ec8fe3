"""What each department finds in the menu and on its home page.

This is presentation only: it decides which links to show. Whether an action is allowed is decided
by the queries and operations behind each page (they raise ``PermissionDeniedError``), so a
hand-typed URL is refused there even when a link is hidden here.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Link:
    url_name: str
    label: str | Promise
    description: str | Promise = ""

    @property
    def url(self) -> str:
        return reverse(self.url_name)


EMPLOYERS = Link("web:employer_search", _("Employers"), _("Search employers by name or USCC."))
PERSONS = Link("web:person_search", _("Persons"), _("Search insured persons by name or ID number."))
REGISTER_EMPLOYER = Link("web:employer_register", _("Register employer"), _("Register a new paying unit."))
REGISTER_PERSON = Link("web:person_register", _("Register person"), _("Register an insured person."))
REGISTER_EMPLOYMENT = Link(
    "web:employment_register", _("Register employment"), _("Record that a person works for an employer.")
)
REGISTER_ENROLLMENT = Link(
    "web:enrollment_register", _("Register enrollment"), _("Enroll a person in an insurance type.")
)
POLICY = Link(
    "web:policy_parameters", _("Policy"), _("Rates, base floor and ceiling in force by region and period.")
)
POLICY_VERSIONS = Link(
    "web:policy_versions", _("Policy versions"), _("Parameter versions and their approval.")
)
AUDIT_LOG = Link(
    "web:audit_log", _("Audit log"), _("Every write, unmasking and denied access; verify the chain.")
)
USERS = Link("web:user_list", _("Users"), _("User accounts, departments and regions."))
MY_EMPLOYER = Link("web:my_employer", _("My unit"), _("Your unit's registration and employees."))
MY_RECORD = Link("web:my_record", _("My record"), _("Your registration, employment and enrollments."))
DECLARATIONS = Link(
    "web:declaration_upload",
    _("Declarations"),
    _("Upload a monthly declaration file (.xlsx or .csv) and read its validation report."),
)
ASSESSMENT_RUNS = Link(
    "web:assessment_runs",
    _("Assessment"),
    _("Assessment runs with their progress and the summary per region and insurance type."),
)
COLLECTION_PLAN = Link(
    "web:collection_plan",
    _("Collection plan"),
    _("The receivables of a period handed to tax: totals, and files in CSV, XLSX and JSON."),
)
RECEIVABLES_CHART = Link(
    "web:receivables_chart",
    _("Monthly receivables"),
    _("A chart of receivables per month and insurance type for a region."),
)
CALCULATOR = Link(
    "web:calculator",
    _("Calculator"),
    _("What a monthly wage costs per insurance type, with the policy values used."),
)
MY_CONTRIBUTIONS = Link(
    "web:my_contributions",
    _("My contributions"),
    _("Your contribution record: months, bases and amounts per insurance type."),
)
EXCHANGE_MONITOR = Link(
    "web:exchange_monitor",
    _("Exchange"),
    _("Messages between the agency, tax, finance and the banks: status per pair, gaps and quarantine."),
)
FISCAL_ACCOUNT = Link(
    "web:fiscal_accounts",
    _("Fiscal account"),
    _("Balances of the fiscal special account per insurance type, confirmed and unconfirmed."),
)
FISCAL_DEPOSITS = Link(
    "web:fiscal_deposits",
    _("Deposits"),
    _("Deposits into the fiscal accounts, filtered, with a CSV download."),
)
FISCAL_EXCEPTIONS = Link(
    "web:fiscal_exceptions",
    _("Unconfirmed and discrepancies"),
    _("Remittances and deposits not yet matched, and what did not agree."),
)
FISCAL_ITEMS = Link(
    "web:fiscal_remittance_items",
    _("Remittances in your region"),
    _("What was remitted to the fiscal account from your region, by period."),
)
COLLECTION_PROGRESS = Link(
    "web:collection_progress",
    _("Collection progress"),
    _("Receivable, paid, outstanding and collection rate per region and insurance type."),
)
UNMATCHED_PAYMENTS = Link(
    "web:collection_unmatched",
    _("Unmatched payments"),
    _("Payments whose payer was not found: propose the payer, or check a colleague's proposal."),
)
RECEIPTS = Link("web:collection_receipts", _("Receipts"), _("Numbered receipts with their PDF."))
COUNTER_PAYMENT = Link(
    "web:collection_counter_payment",
    _("Counter payment"),
    _("Record a payment taken at the counter or online."),
)
PLAN_SENDING = Link(
    "web:agency_plan_sending",
    _("Send the collection plan"),
    _("Send tax a period's receivables (only what it has not been told yet) and follow the send."),
)
TAX_REPORTS = Link(
    "web:agency_tax_reports",
    _("Reports from tax"),
    _("Unregistered units, declaration discrepancies and missing employers tax reported: verify and answer."),
)
MY_BILLS = Link(
    "web:my_bills",
    _("Bills and payments"),
    _("Your unit's bills as the tax authority holds them, your payments and receipts."),
)

ARREARS_DASHBOARD = Link(
    "web:arrears_dashboard",
    _("Arrears"),
    _("Arrears at a close of business by region, age bucket and insurance type, with charts."),
)
ARREARS_BALANCES = Link(
    "web:arrears_balances",
    _("Arrears as of a date"),
    _("Every payer's overdue principal and late fee at a past close, filtered, with a CSV download."),
)
ARREARS_CASES = Link(
    "web:arrears_cases",
    _("Enforcement cases"),
    _("Your cases and the unassigned ones in your region: next action and deadline."),
)
WRITE_OFF_QUEUE = Link(
    "web:arrears_write_offs",
    _("Write-off approvals"),
    _("Write-offs awaiting your department's part of the joint determination, with their dossier."),
)
DEFERRAL_QUEUE = Link(
    "web:arrears_deferrals",
    _("Deferral approvals"),
    _("Deferral requests (force majeure, declared crisis) awaiting provincial approval."),
)
CLOSE_OF_BUSINESS = Link(
    "web:arrears_close",
    _("Close of business"),
    _("Business days closed with their counts; run the next close in the background."),
)
MY_ARREARS = Link(
    "web:my_arrears",
    _("Arrears statement"),
    _("What your unit owes overdue, with late fees, and its statement as a PDF."),
)

# Menu (top bar) and home-page cards per department.
MENU: dict[str, tuple[Link, ...]] = {
    "hrss": (
        EMPLOYERS,
        PERSONS,
        ASSESSMENT_RUNS,
        ARREARS_DASHBOARD,
        DEFERRAL_QUEUE,
        PLAN_SENDING,
        POLICY,
        POLICY_VERSIONS,
        FISCAL_ACCOUNT,
        EXCHANGE_MONITOR,
    ),
    "agency": (
        EMPLOYERS,
        PERSONS,
        REGISTER_EMPLOYER,
        REGISTER_PERSON,
        DECLARATIONS,
        ASSESSMENT_RUNS,
        COLLECTION_PLAN,
        PLAN_SENDING,
        TAX_REPORTS,
        POLICY,
        EXCHANGE_MONITOR,
    ),
    "tax": (
        EMPLOYERS,
        PERSONS,
        COLLECTION_PLAN,
        COLLECTION_PROGRESS,
        ARREARS_DASHBOARD,
        ARREARS_CASES,
        UNMATCHED_PAYMENTS,
        RECEIPTS,
        COUNTER_PAYMENT,
        EXCHANGE_MONITOR,
        POLICY,
    ),
    "finance": (
        FISCAL_ACCOUNT,
        FISCAL_DEPOSITS,
        FISCAL_EXCEPTIONS,
        ARREARS_DASHBOARD,
        WRITE_OFF_QUEUE,
        EMPLOYERS,
        RECEIVABLES_CHART,
        POLICY,
    ),
    "audit": (
        EMPLOYERS,
        PERSONS,
        ASSESSMENT_RUNS,
        PLAN_SENDING,
        COLLECTION_PROGRESS,
        ARREARS_DASHBOARD,
        FISCAL_ACCOUNT,
        EXCHANGE_MONITOR,
        POLICY,
        AUDIT_LOG,
    ),
    "bank": (POLICY,),
    "sysadmin": (USERS, EXCHANGE_MONITOR),
    "employer": (MY_EMPLOYER, MY_BILLS, MY_ARREARS, DECLARATIONS, CALCULATOR, POLICY),
    "individual": (MY_RECORD, MY_CONTRIBUTIONS, CALCULATOR),
}

DASHBOARD: dict[str, tuple[Link, ...]] = {
    "hrss": (
        POLICY_VERSIONS,
        POLICY,
        EMPLOYERS,
        ARREARS_DASHBOARD,
        ARREARS_BALANCES,
        WRITE_OFF_QUEUE,
        DEFERRAL_QUEUE,
        ARREARS_CASES,
        PERSONS,
        ASSESSMENT_RUNS,
        COLLECTION_PLAN,
        PLAN_SENDING,
        TAX_REPORTS,
        RECEIVABLES_CHART,
        FISCAL_ACCOUNT,
        FISCAL_ITEMS,
        EXCHANGE_MONITOR,
    ),
    "agency": (
        REGISTER_EMPLOYER,
        REGISTER_PERSON,
        REGISTER_EMPLOYMENT,
        REGISTER_ENROLLMENT,
        DECLARATIONS,
        ASSESSMENT_RUNS,
        COLLECTION_PLAN,
        PLAN_SENDING,
        TAX_REPORTS,
        RECEIVABLES_CHART,
        EMPLOYERS,
        PERSONS,
        POLICY,
        CALCULATOR,
        EXCHANGE_MONITOR,
    ),
    "tax": (
        COLLECTION_PROGRESS,
        UNMATCHED_PAYMENTS,
        COUNTER_PAYMENT,
        ARREARS_DASHBOARD,
        ARREARS_CASES,
        ARREARS_BALANCES,
        WRITE_OFF_QUEUE,
        CLOSE_OF_BUSINESS,
        RECEIPTS,
        EMPLOYERS,
        PERSONS,
        COLLECTION_PLAN,
        RECEIVABLES_CHART,
        EXCHANGE_MONITOR,
        POLICY,
    ),
    "finance": (
        FISCAL_ACCOUNT,
        FISCAL_DEPOSITS,
        FISCAL_EXCEPTIONS,
        FISCAL_ITEMS,
        ARREARS_DASHBOARD,
        ARREARS_BALANCES,
        WRITE_OFF_QUEUE,
        EMPLOYERS,
        RECEIVABLES_CHART,
        POLICY,
    ),
    "audit": (
        AUDIT_LOG,
        EMPLOYERS,
        PERSONS,
        ASSESSMENT_RUNS,
        COLLECTION_PLAN,
        PLAN_SENDING,
        TAX_REPORTS,
        RECEIVABLES_CHART,
        COLLECTION_PROGRESS,
        ARREARS_DASHBOARD,
        ARREARS_BALANCES,
        ARREARS_CASES,
        WRITE_OFF_QUEUE,
        CLOSE_OF_BUSINESS,
        RECEIPTS,
        FISCAL_ACCOUNT,
        FISCAL_DEPOSITS,
        EXCHANGE_MONITOR,
        POLICY,
        POLICY_VERSIONS,
    ),
    "bank": (POLICY, CALCULATOR),
    "sysadmin": (USERS, EXCHANGE_MONITOR),
    "employer": (MY_EMPLOYER, MY_BILLS, MY_ARREARS, DECLARATIONS, CALCULATOR, POLICY),
    "individual": (MY_RECORD, MY_CONTRIBUTIONS, CALCULATOR),
}

# One sentence under the heading of each department's home page.
INTRO = {
    "hrss": _("Approve policy changes proposed by colleagues and watch registration in your region."),
    "agency": _(
        "Register employers, persons, employment and enrollments; search the registry; "
        "send the collection plan to tax and answer its reports."
    ),
    "tax": _(
        "Follow collection in your region, match unmatched payments, "
        "record counter payments and issue receipts."
    ),
    "finance": _("Watch the fiscal special account: balances, deposits and what is not yet confirmed."),
    "audit": _("Read the audit log and verify that it is intact; read all registry records."),
    "bank": _("Bank integration clients use the JSON API with a token; the policy in force is public."),
    "sysadmin": _("Manage user accounts and watch the exchange. System administrators see no business data."),
    "employer": _("Your unit's registration, employees, bills, payments and receipts."),
    "individual": _("Your own registration, employment and insurance enrollments."),
}


def menu_for(department: str, current_path: str) -> list[dict]:
    """Menu items; the one whose URL is the longest prefix of the current path is marked active."""
    links = [(link.url, link.label) for link in MENU.get(department, ())]
    matching = [url for url, _label in links if current_path.startswith(url)]
    active = max(matching, key=len, default=None)
    return [{"url": url, "label": label, "active": url == active} for url, label in links]


def dashboard_for(department: str) -> list[Link]:
    return list(DASHBOARD.get(department, ()))
