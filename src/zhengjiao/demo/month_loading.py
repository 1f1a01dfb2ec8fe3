# ruff: noqa: S608 — the SQL below is assembled from quoted model table names only; values are params.
"""Bulk work of the demo month (``demo.month``): declarations, bank accounts and withholding
agreements, and the reads that choose who pays how.

Like ``demo.jobs`` these write demo data set-based — an ``INSERT … SELECT`` per chunk of employers,
one bulk insert per table — each chunk in one transaction, with one audit event per stage; a rerun
inserts nothing twice (``NOT EXISTS`` guards, existing rows skipped). Who declares, withholds or
pays at the counter is a seeded draw on the payer's key (``demo.rules.month``).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from zhengjiao.accounts.models import User
from zhengjiao.assessment.models import Declaration, DeclarationLine
from zhengjiao.audit.operations import record_event
from zhengjiao.banks.models import BankAccount
from zhengjiao.banks.operations import NewAccount, open_accounts
from zhengjiao.collection.models import (
    Allocation,
    BankFile,
    ReceivableEntry,
    TaxPayer,
    WithholdingAgreement,
    WithholdingRequestLine,
    WithholdingResultLine,
)
from zhengjiao.core.period import Period
from zhengjiao.demo.models import GroundTruthPerson
from zhengjiao.demo.rules.month import (
    MonthShares,
    bank_code_of,
    declares,
    draw_ppm,
    funding,
    pays_at_counter,
    withholds,
)
from zhengjiao.exchange.formats.withholding import RequestHeader, RequestLine, write_request
from zhengjiao.registry.models import Employer, EmployerStatus, EmploymentSpell, Person

DECLARE_CHUNK = 500
"""Employers per declaration transaction (their ids travel as one ``IN`` list)."""
READ_CHUNK = 1000
DEMO_FILE = "demo-month"
"""``Declaration.file_name`` of the declarations the demo month writes."""


def _tables() -> dict[str, str]:
    q = connection.ops.quote_name
    return {
        "spell": q(EmploymentSpell._meta.db_table),
        "end": q("end"),
        "person": q(Person._meta.db_table),
        "truth": q(GroundTruthPerson._meta.db_table),
        "decl": q(Declaration._meta.db_table),
        "line": q(DeclarationLine._meta.db_table),
        "entry": q(ReceivableEntry._meta.db_table),
        "alloc": q(Allocation._meta.db_table),
        "payer": q(TaxPayer._meta.db_table),
    }


# --- declarations -------------------------------------------------------------------------------------

# The employer × person pairs of a chunk: everyone whose employment spell overlaps the period.
_PAIRS = """SELECT DISTINCT s.employer_id, s.person_id FROM {spell} s
 WHERE s.employer_id IN ({ids}) AND s.start < %s AND (s.{end} IS NULL OR s.{end} > %s)"""

_DECLARATIONS = """
INSERT INTO {decl} (employer_id, period, sequence, supersedes_id, source, submitted_by_id, submitted_at,
                    line_count, total_wage_fen, name_mismatch_count, file_name, file_sha256)
SELECT pr.employer_id, %s, 1, NULL, 'cli', NULL, %s, COUNT(*), SUM(COALESCE(g.monthly_wage_fen, 0)), 0, %s, ''
  FROM ({pairs}) pr
  JOIN {person} p ON p.id = pr.person_id
  LEFT JOIN {truth} g ON g.person_id_number = p.id_number
 WHERE NOT EXISTS (SELECT 1 FROM {decl} d WHERE d.employer_id = pr.employer_id AND d.period = %s)
 GROUP BY pr.employer_id
"""

_LINES = """
INSERT INTO {line} (declaration_id, line_no, person_id, name, name_mismatch, wage_fen)
SELECT d.id, ROW_NUMBER() OVER (PARTITION BY d.id ORDER BY pr.person_id), pr.person_id, p.name, FALSE,
       COALESCE(g.monthly_wage_fen, 0)
  FROM ({pairs}) pr
  JOIN {decl} d ON d.employer_id = pr.employer_id AND d.period = %s AND d.file_name = %s
  JOIN {person} p ON p.id = pr.person_id
  LEFT JOIN {truth} g ON g.person_id_number = p.id_number
 WHERE NOT EXISTS (SELECT 1 FROM {line} l WHERE l.declaration_id = d.id)
"""


def declare(*, period: Period, seed: int, shares: MonthShares, now: datetime) -> dict:
    """The declarations of the period's declaring employers: everyone employed in the period, at
    their real wage (ground truth). Chunks of ``DECLARE_CHUNK`` employers, one transaction each,
    two ``INSERT … SELECT`` a chunk. Employers with a declaration for the period are left alone."""
    chosen = [
        pk
        for pk, uscc in Employer.objects.filter(status=EmployerStatus.ACTIVE)
        .order_by("pk")
        .values_list("pk", "uscc")
        if declares(seed, uscc, shares)
    ]
    tables = _tables()
    submitted = connection.ops.adapt_datetimefield_value(now)
    window = [period.end.isoformat(), period.start.isoformat()]
    for start in range(0, len(chosen), DECLARE_CHUNK):
        ids = chosen[start : start + DECLARE_CHUNK]
        pairs = _PAIRS.format(ids=", ".join(["%s"] * len(ids)), **tables)
        pair_params = [*ids, *window]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                _DECLARATIONS.format(pairs=pairs, **tables),
                [str(period), submitted, DEMO_FILE, *pair_params, str(period)],
            )
            cursor.execute(_LINES.format(pairs=pairs, **tables), [*pair_params, str(period), DEMO_FILE])
    totals = Declaration.objects.filter(period=str(period), file_name=DEMO_FILE).aggregate(
        declarations=Count("pk"), lines=Sum("line_count"), wages_fen=Sum("total_wage_fen")
    )
    return {key: value or 0 for key, value in totals.items()}


# --- who owes what at tax -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Owing:
    payer_id: int
    payer_type: str
    payer_key: str
    name: str
    owed_fen: int


_OWED = """
SELECT t.id, t.payer_type, t.payer_key, t.name, o.owed FROM (
    SELECT payer_id, SUM(amount_fen) AS owed FROM (
        SELECT payer_id, amount_fen FROM {entry} WHERE period <= %s
        UNION ALL
        SELECT payer_id, -amount_fen FROM {alloc} WHERE period <= %s
    ) ledger GROUP BY payer_id HAVING SUM(amount_fen) > 0
) o JOIN {payer} t ON t.id = o.payer_id
ORDER BY t.id
"""


def owing(*, period: Period) -> list[Owing]:
    """Every payer that owes tax something for ``period`` or before (Σ entries − Σ allocations),
    from tax's own ledger in one grouped query."""
    with connection.cursor() as cursor:
        cursor.execute(_OWED.format(**_tables()), [str(period), str(period)])
        return [Owing(row[0], row[1], row[2], row[3], int(row[4])) for row in cursor.fetchall()]


def _with_open_agreement() -> set[int]:
    return set(WithholdingAgreement.objects.filter(valid_to__isnull=True).values_list("payer_id", flat=True))


# --- bank accounts and withholding agreements ---------------------------------------------------------


def open_withholding(
    *, period: Period, seed: int, shares: MonthShares, now: datetime, actor: User | None
) -> dict:
    """For the chosen employers (a participating bank in the registry, a seeded share) that owe
    something and have no agreement yet: their account at the simulated bank, funded as
    ``rules.month.funding`` says (``banks.operations.open_accounts``, one bulk operation), and a
    withholding agreement at tax valid from the period's first day (one bulk insert and one audit
    event, in one transaction)."""
    taken = _with_open_agreement()
    debtors = {o.payer_key: o for o in owing(period=period) if o.payer_type == "employer"}
    keys = [key for key, o in debtors.items() if o.payer_id not in taken]
    accounts: list[NewAccount] = []
    kinds: dict[str, int] = {}
    seen: set[tuple[str, str]] = set()
    for start in range(0, len(keys), READ_CHUNK):
        registry = Employer.objects.filter(uscc__in=keys[start : start + READ_CHUNK]).values_list(
            "uscc", "bank_name", "bank_account"
        )
        for uscc, bank_name, bank_account in registry.order_by("uscc"):
            bank_code = bank_code_of(bank_name)
            if bank_code is None or not withholds(seed, uscc, bank_name, shares) or not bank_account:
                continue
            if (bank_code, bank_account) in seen:
                continue  # two employers drew the same number: the second pays another way
            seen.add((bank_code, bank_account))
            owed = debtors[uscc]
            kind, balance = funding(seed, uscc, owed.owed_fen, shares)
            kinds[kind] = kinds.get(kind, 0) + 1
            accounts.append(
                NewAccount(
                    bank_code=bank_code,
                    account_no=bank_account,
                    holder_key=uscc,
                    holder_name=owed.name,
                    opening_balance_fen=balance,
                    partial_debit_allowed=kind == "partial",
                )
            )
    accounts = _not_yet_open(accounts)
    if accounts:
        open_accounts(actor=None, accounts=accounts, now=now)
    agreements = [
        WithholdingAgreement(
            payer_id=debtors[a.holder_key].payer_id,
            bank_code=a.bank_code,
            account_no=a.account_no,
            valid_from=period.start,
            created_at=now,
        )
        for a in accounts
    ]
    with transaction.atomic():
        WithholdingAgreement.objects.bulk_create(agreements, batch_size=READ_CHUNK)
        record_event(
            actor=actor,
            action="demo.withholding_agreements",
            object_type="collection.withholding_agreement",
            summary={"period": str(period), "agreements": len(agreements), "funding": kinds},
        )
    return {
        "accounts": len(accounts),
        "funded_fen": sum(a.opening_balance_fen for a in accounts),
        "funding": kinds,
    }


def _not_yet_open(accounts: list[NewAccount]) -> list[NewAccount]:
    """Leave out accounts a resumed run opened already (their agreements are made with them)."""
    numbers = {a.account_no for a in accounts}
    existing: set[tuple[str, str]] = set()
    chunked = sorted(numbers)
    for start in range(0, len(chunked), READ_CHUNK):
        existing.update(
            BankAccount.objects.filter(account_no__in=chunked[start : start + READ_CHUNK]).values_list(
                "bank_code", "account_no"
            )
        )
    return [a for a in accounts if (a.bank_code, a.account_no) not in existing]


def banks_with_agreements(*, on: date) -> list[str]:
    """The banks holding at least one withholding agreement valid on ``on``."""
    valid = WithholdingAgreement.objects.filter(valid_from__lte=on).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gt=on)
    )
    return sorted(set(valid.values_list("bank_code", flat=True)))


def result_ingested(bank_code: str, request_file_id: str) -> bool:
    """Has tax ingested an answer to the request file ``request_file_id`` of ``bank_code``?"""
    request = BankFile.objects.filter(
        direction=BankFile.Direction.REQUEST, bank_code=bank_code, file_id=request_file_id
    )
    asked = WithholdingRequestLine.objects.filter(bank_file__in=request).values("debit_ref")
    return WithholdingResultLine.objects.filter(debit_ref__in=asked).exists()


def request_file_again(bank_file: BankFile) -> bytes:
    """The request file tax exported, written again from the request lines it recorded (a resumed
    run lost the bytes between the export and the bank's answer)."""
    header = RequestHeader(
        file_id=bank_file.file_id,
        bank_code=bank_file.bank_code,
        period=bank_file.period,
        created_at=timezone.localtime(bank_file.created_at).replace(microsecond=0),
        line_count=bank_file.line_count,
        total_fen=bank_file.total_fen,
    )
    out = io.BytesIO()
    write_request(out, header=header, lines=_request_lines(bank_file))
    return out.getvalue()


def _request_lines(bank_file: BankFile) -> Iterator[RequestLine]:
    rows = (
        WithholdingRequestLine.objects.filter(bank_file=bank_file)
        .order_by("line_no")
        .values_list("line_no", "debit_ref", "payer__payer_key", "payer__name", "account_no", "amount_fen",
                     "period")
    )  # fmt: skip
    for line_no, ref, key, name, account, amount, month in rows.iterator(chunk_size=READ_CHUNK):
        clean = name.replace("|", "｜").replace("\n", " ").replace("\r", " ")[:200]
        yield RequestLine(line_no, ref, key, clean, account, amount, month)


# --- counter payments ---------------------------------------------------------------------------------


def counter_payers(*, period: Period, seed: int, shares: MonthShares) -> list[tuple[Owing, int]]:
    """The payers without a withholding agreement who pay at the counter, with the amount each
    pays: a seeded share, in draw order, at most ``shares.counter_cap``; the first pays half of
    what it owes (integer division, at least 1 fen), the others all of it."""
    taken = _with_open_agreement()
    chosen = sorted(
        (
            o
            for o in owing(period=period)
            if o.payer_id not in taken and pays_at_counter(seed, o.payer_key, shares)
        ),
        key=lambda o: draw_ppm(seed, "counter", o.payer_key),
    )[: shares.counter_cap]
    return [(o, max(1, o.owed_fen // 2) if n == 0 else o.owed_fen) for n, o in enumerate(chosen)]
