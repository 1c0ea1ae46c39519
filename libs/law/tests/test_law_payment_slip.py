"""納付書 eL番号 (interfaces.md §4): the parts, their order, Osame's 確認番号, and the 通知書番号 that
cannot be a 納付番号. The eL番号 must read back with the receipts parser's split (5 + n + 4 + 3)."""

from __future__ import annotations

import pytest
from osame_law.payment_slip import confirmation_digits, el_number


@pytest.mark.parametrize(
    ("agency", "notice", "installment", "printed"),
    [
        (
            "16202",
            "2026000123",
            1,
            f"16202-2026000123-{confirmation_digits('16202', '2026000123', '001')}-001",
        ),
        ("16202", "7", 12, f"16202-7-{confirmation_digits('16202', '7', '012')}-012"),
    ],
)
def test_el_number_parts(agency, notice, installment, printed):
    number = el_number(agency, notice, installment)
    assert number.printed() == printed
    digits = number.digits
    assert (digits[:5], digits[5:-7], digits[-7:-3], digits[-3:]) == (
        agency,
        notice,
        number.confirmation,
        f"{installment:03d}",
    )


def test_confirmation_is_four_digits_and_depends_on_every_part():
    base = confirmation_digits("16202", "2026000123", "001")
    assert len(base) == 4 and base.isdigit()
    assert confirmation_digits("16202", "2026000124", "001") != base
    assert confirmation_digits("16202", "2026000123", "002") != base


@pytest.mark.parametrize("notice", ["R8-100", "1" * 21, ""])
def test_a_notice_number_that_is_not_a_payment_number(notice):
    assert el_number("16202", notice, 1) is None


def test_agency_code_is_five_digits():
    with pytest.raises(ValueError):
        el_number("1620", "123", 1)
