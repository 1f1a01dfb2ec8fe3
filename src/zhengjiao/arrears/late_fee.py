"""The late fee on policy: the dated rate schedule of a region, the cap, and a checked calculation.

``rules.late_fee`` holds the arithmetic (pure); this module feeds it the policy in force:

- ``rate_schedule`` turns ``late_fee_daily_rate_ppm`` and ``late_fee_requires_missed_payment_order``
  (monthly values: a value valid from 2011-07 applies from 2011-07-01) into the rule's schedule,
  cached per policy version (a version's values never change);
- ``cap_at_principal`` reads ``late_fee_cap_at_principal`` for a fee period;
- ``calculate`` validates one receivable and its payments (the public calculator's input) and
  answers a ``rules.LateFee``.

Input decisions for ``calculate`` (each refusal is a coded ``DomainError`` naming the field):

- the principal and every payment amount must be positive; at most ``MAX_PAYMENTS`` payments;
- ``as_of`` may not be before the due date, and no payment may be dated after ``as_of`` (a
  calculation as of a date cannot know later payments);
- payments may come in any order (they are dated; the rule sorts them) and may be dated on or before
  the due date (they reduce the principal before it falls overdue);
- payments may add up to more than the principal: the excess pays the late fee (the allocation
  order puts principal first), and the principal is owed no more — it never goes negative;
- a payment-order deadline (IR art. 13, for debts before 2011-07) may not be before the due date.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import date

from zhengjiao.core.errors import DomainError
from zhengjiao.core.period import Period
from zhengjiao.policy import parameters as p
from zhengjiao.policy.queries import PolicyInForce, policy_in_force

from . import rules

MAX_PAYMENTS = 100
#: The day-count rule ``rules.late_fee`` implements (DOMAIN §4: days = pay date − due date).
DAY_COUNT_RULE = "pay_date_minus_due_date"

Schedule = tuple[rules.RatePeriod, ...]

_schedules: dict[tuple[int, str, str], Schedule] = {}
_lock = threading.Lock()


def rate_schedule(*, region_code: str) -> Schedule:
    """The late-fee rate periods of ``region_code``, oldest first, with the IR art. 13 flag.

    Raises ``policy.unknown_region`` and ``policy.no_version_in_force``; a month with a rate but no
    ``late_fee_requires_missed_payment_order`` value is ``policy.missing_parameter``.
    """
    return _schedule(policy_in_force(), region_code)


def cap_at_principal(*, region_code: str, period: Period | str) -> bool:
    """Whether the late fee of a fee period is capped at its principal (Administrative Coercion Law
    art. 45, disputed; ``late_fee_cap_at_principal``)."""
    return bool(
        policy_in_force().lookup(p.LATE_FEE_CAP_AT_PRINCIPAL, region_code=region_code, period=period).value
    )


def calculate(
    *,
    region_code: str,
    principal_fen: int,
    due_date: date,
    as_of: date,
    payments: Sequence[tuple[date, int]],
    payment_order_deadline: date | None = None,
) -> rules.LateFee:
    """The late fee of one receivable of ``principal_fen`` due on ``due_date``, as of ``as_of``
    (inclusive), given the payments made on it; see the module docstring for what is refused."""
    _check(principal_fen, due_date, as_of, payments, payment_order_deadline)
    version = policy_in_force()
    period = Period.of(due_date)
    rule = version.lookup(p.LATE_FEE_DAY_COUNT_RULE, region_code=region_code, period=period).value
    if rule != DAY_COUNT_RULE:
        raise DomainError(
            "arrears.unsupported_day_count_rule",
            f"不支持的滞纳金计息天数规则：{rule!r}",
            f"Unsupported late-fee day-count rule: {rule!r}",
            field="due_date",
        )
    cap = version.lookup(p.LATE_FEE_CAP_AT_PRINCIPAL, region_code=region_code, period=period).value
    return rules.late_fee(
        events=rules.simple_events(principal_fen, due_date, payments),
        as_of=as_of,
        schedule=_schedule(version, region_code),
        cap_at_principal=bool(cap),
        payment_order_deadline=payment_order_deadline,
    )


def headline_rate(result: rules.LateFee, *, region_code: str, as_of: date) -> int:
    """The daily rate to show with a result: the rate of its last segment, or the rate in force on
    ``as_of`` when nothing accrued."""
    if result.segments:
        return result.segments[-1].daily_rate_ppm
    return daily_rate_on(region_code=region_code, day=as_of)


def daily_rate_on(*, region_code: str, day: date) -> int:
    """The late-fee daily rate in force on ``day`` (``arrears.no_late_fee_rate`` when none)."""
    rate = rules.rate_on(rate_schedule(region_code=region_code), day)
    if rate is None:
        raise DomainError(
            "arrears.no_late_fee_rate",
            f"{day} 没有适用的滞纳金日费率",
            f"No late-fee daily rate applies on {day}",
            field="as_of",
        )
    return rate.ppm


# --- helpers -----------------------------------------------------------------------------------


def _schedule(version: PolicyInForce, region_code: str) -> Schedule:
    key = (*version.cache_key, region_code)
    cached = _schedules.get(key)
    if cached is not None:
        return cached
    schedule = tuple(
        rules.RatePeriod(start, end, int(ppm), _requires_order(version, region_code, start, end))
        for start, end, ppm in version.timeline(p.LATE_FEE_DAILY_RATE_PPM, region_code=region_code)
    )
    with _lock:
        if len(_schedules) > 1024:
            _schedules.clear()
        _schedules[key] = schedule
    return schedule


def _requires_order(version: PolicyInForce, region_code: str, start: date, end: date | None) -> bool:
    """The IR art. 13 flag over a rate piece; it must hold one value over the whole piece (the
    bundled data changes both on 2011-07-01), else the piece would need splitting."""
    flags = {
        bool(value)
        for f_start, f_end, value in version.timeline(
            p.LATE_FEE_REQUIRES_MISSED_PAYMENT_ORDER, region_code=region_code
        )
        if (end is None or f_start < end) and (f_end is None or start < f_end)
    }
    if len(flags) == 1:
        return flags.pop()
    if not flags:
        # No value at all over the piece: the lookup names the parameter, region and month.
        version.lookup(
            p.LATE_FEE_REQUIRES_MISSED_PAYMENT_ORDER, region_code=region_code, period=Period.of(start)
        )
    raise DomainError(
        "arrears.late_fee_flag_changes_within_rate",
        f"{start} 起的滞纳金日费率期间内，“逾期不缴责令期限后方加收”的取值发生变化",
        f"late_fee_requires_missed_payment_order changes inside the late-fee rate period from {start}",
    )


def _check(
    principal_fen: int,
    due_date: date,
    as_of: date,
    payments: Sequence[tuple[date, int]],
    payment_order_deadline: date | None,
) -> None:
    if principal_fen <= 0:
        raise DomainError(
            "arrears.invalid_principal",
            "欠缴本金应大于零",
            "The principal must be more than zero",
            field="principal_fen",
        )
    if as_of < due_date:
        raise DomainError(
            "arrears.as_of_before_due_date",
            f"计算截止日 {as_of} 早于缴费期限 {due_date}",
            f"The calculation date {as_of} is before the due date {due_date}",
            field="as_of",
        )
    if len(payments) > MAX_PAYMENTS:
        raise DomainError(
            "arrears.too_many_payments",
            f"缴款笔数最多 {MAX_PAYMENTS} 笔",
            f"At most {MAX_PAYMENTS} payments",
            field="payments",
        )
    for index, (paid_on, amount_fen) in enumerate(payments):
        if amount_fen <= 0:
            raise DomainError(
                "arrears.invalid_payment_amount",
                f"第 {index + 1} 笔缴款金额应大于零",
                f"Payment {index + 1}: the amount must be more than zero",
                field=f"payments.{index}.amount_fen",
            )
        if paid_on > as_of:
            raise DomainError(
                "arrears.payment_after_as_of",
                f"第 {index + 1} 笔缴款日期 {paid_on} 晚于计算截止日 {as_of}",
                f"Payment {index + 1} is dated {paid_on}, after the calculation date {as_of}",
                field=f"payments.{index}.date",
            )
    if payment_order_deadline is not None and payment_order_deadline < due_date:
        raise DomainError(
            "arrears.invalid_payment_order_deadline",
            f"责令限期缴纳的期限 {payment_order_deadline} 早于缴费期限 {due_date}",
            f"The payment-order deadline {payment_order_deadline} is before the due date {due_date}",
            field="payment_order_deadline",
        )
