"""分離課税 退職所得 納入申告 (法328条の5, 328条の10) — worked examples by hand."""

from datetime import date

import pytest
from osame_law.errors import ImplausibleDateError
from osame_law.separate_taxation import deficiency_late_fee, retirement_remittance

d = date.fromisoformat


def test_retirement_tax_is_due_the_10th_of_the_next_month():
    """法328条の5②: allowance paid 2025-03-25 → 納入申告 and 納入 by 2025-04-10 (Thursday)."""
    remittance = retirement_remittance(d("2025-03-25"))
    assert (remittance.statutory_due, remittance.due) == (d("2025-04-10"), d("2025-04-10"))


def test_special_payment_schedule_applies_to_retirement_tax():
    """法328条の5③ 準用 321条の5の2: approved 2024-01-01, so March 2025 goes with Dec–May → 6/10."""
    remittance = retirement_remittance(d("2025-03-25"), special_approved_on=d("2024-01-01"))
    assert remittance.statutory_due == d("2025-06-10")


def test_deficiency_late_fee_worked_example():
    """法328条の10: original 納期限 2025-04-10; 決定 notified 2025-09-01 → deficiency due 10/2
    (the month 9/2–10/1); low rate through 11/2; 200,000 paid 2025-12-01.

    4/11–11/2 206 days at 2.4%: 200,000 × 2.4 × 206 / 36,500 = 2,709.04 → 2,709
    11/3–12/1 29 days at 8.7%: 200,000 × 8.7 × 29 / 36,500 = 1,382.46 → 1,382
    total 4,091 → 4,000.
    """
    original = retirement_remittance(d("2025-03-25"))
    result = deficiency_late_fee(
        deficiency=200_000, original=original, notified_on=d("2025-09-01"), paid_on=d("2025-12-01")
    )
    assert [(s.start, s.days, str(s.rate), s.yen) for s in result.segments] == [
        (d("2025-04-11"), 206, "2.4", 2709),
        (d("2025-11-03"), 29, "8.7", 1382),
    ]
    assert result.late_fee == 4_000


def test_a_notice_before_the_original_due_date_is_refused():
    original = retirement_remittance(d("2025-03-25"))
    with pytest.raises(ImplausibleDateError, match="notified_on 2025-04-01"):
        deficiency_late_fee(
            deficiency=1, original=original, notified_on=d("2025-04-01"), paid_on=d("2025-05-01")
        )
