"""Close of business runs the enforcement side for real after the balances (issue 5 §2: "opens an
enforcement case when arrears pass a policy threshold"): the case opened reads the balances of the
same close. Thresholds of the bundled policy: 1,000.00 yuan principal overdue at least 30 days."""

from __future__ import annotations

from datetime import date

from tests.integration.arrears.close_support import TEN_THOUSAND_YUAN, close, make_payer, receivable
from zhengjiao.arrears.models import ArrearsBalance, EnforcementCase


def test_a_close_opens_the_case_of_an_employer_past_the_threshold(policy):
    """SIL art. 63 via the ladder: 10,000.00 due 2025-08-15, 36 days overdue on 2025-09-20 → a case
    at the payment-order step; a payer owing 500.00 stays below the threshold."""
    debtor = make_payer()
    receivable(debtor, "2025-07", "pension", TEN_THOUSAND_YUAN, date(2025, 8, 15))
    small = make_payer()
    receivable(small, "2025-07", "pension", 50_000, date(2025, 8, 15))
    day = close(date(2025, 9, 20))
    assert day.status == "done"
    assert ArrearsBalance.objects.filter(business_date=date(2025, 9, 20)).count() == 2
    case = EnforcementCase.objects.get()
    assert case.payer_id == debtor.pk and case.step == "payment_order"
    assert day.counts["open_cases"] == {"count": 1}
    assert set(day.counts) >= {"instalments", "open_cases", "escalate"}
    # The next day's close opens nothing new for the same employer.
    assert close(date(2025, 9, 21)).counts["open_cases"] == {"count": 0}
    assert EnforcementCase.objects.count() == 1
