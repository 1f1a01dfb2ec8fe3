"""Two processes answering withholding files at once (PostgreSQL: SQLite serialises writers anyway)."""

from __future__ import annotations

import io
import threading

import pytest
from django.db import connection

from tests.integration.banks.conftest import NOW, PAYER_A, balance, fund, request_file, tax_balance
from zhengjiao.banks import operations as ops
from zhengjiao.banks.models import AccountEntry, ProcessedRequest
from zhengjiao.banks.simulator import answer_request

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ACC_A = "6222020000000001"


def race(*files: bytes):
    """Answer the files at once, each on its own connection; return the answers."""
    barrier = threading.Barrier(len(files))
    answers = []

    def run(data):
        try:
            barrier.wait()
            answers.append(answer_request(actor=None, request=io.BytesIO(data), now=NOW))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(data,)) for data in files]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_the_same_file_answered_twice_at_once_posts_once():
    ops.open_special_accounts(actor=None, bank_code="102", now=NOW)
    fund("102", ACC_A, PAYER_A, 10_000)
    data = request_file([(PAYER_A, ACC_A, 3_000), (PAYER_A, ACC_A, 2_000)])
    answers = race(data, data)
    assert sorted(a.replayed for a in answers) == [False, True]
    assert ProcessedRequest.objects.count() == 1
    # 10,000 − 3,000 − 2,000 = 5,000; the funding, two debits and one credit: four entries.
    assert (balance("102", ACC_A), tax_balance(), AccountEntry.objects.count()) == (5_000, 5_000, 4)


def test_two_files_debiting_one_account_at_once_never_overdraw_it():
    ops.open_special_accounts(actor=None, bank_code="102", now=NOW)
    fund("102", ACC_A, PAYER_A, 5_000)
    first = request_file([(PAYER_A, ACC_A, 4_000)], file_id="F1")
    second = request_file([(PAYER_A, ACC_A, 4_000)], file_id="F2")
    answers = race(first, second)
    # Only one 4,000 fits in 5,000: one ok, one insufficient, 1,000 left.
    assert sorted(a.total_debited_fen for a in answers) == [0, 4_000]
    assert (balance("102", ACC_A), tax_balance()) == (1_000, 4_000)
