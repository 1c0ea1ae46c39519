"""Check digits from the law (interfaces.md §11): 個人番号 (last digit), 法人番号 (first digit), 団体コード."""

from __future__ import annotations

import pytest
from osame_address_sync.domain.identifiers import (
    corporate_number_check_digit,
    is_valid_corporate_number,
    is_valid_municipality_code,
    is_valid_my_number,
    my_number_check_digit,
)


@pytest.mark.parametrize(
    ("first_eleven", "check"),
    [
        pytest.param("12345678901", 8, id="ordinance-example"),  # 総務省令第85号: 12345678901 → 8
        # P1..P11 = 9,0,1,2,3,4,5,6,7,8,9 · Q = 2..7,2..6 → Σ = 173, r = 8 → 11 − 8 = 3
        pytest.param("98765432109", 3, id="descending"),
        pytest.param("00000000000", 0, id="all-zero-r0"),
        pytest.param("00000000001", 9, id="p1-only"),  # Q1 = 2 → r = 2 → 11 − 2 = 9
        pytest.param("10000000000", 5, id="p11-only"),  # Q11 = 11 − 5 = 6 → r = 6 → 11 − 6 = 5
        pytest.param("00000000006", 0, id="r1-gives-0"),  # P1 = 6, Q1 = 2 → Σ 12, r = 1 → 0
    ],
)
def test_my_number_check_digit(first_eleven, check):
    assert my_number_check_digit(first_eleven) == check


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        pytest.param("123456789018", True, id="valid"),
        pytest.param("987654321093", True, id="valid-2"),
        pytest.param("123456789010", False, id="wrong-check-digit"),
        pytest.param("123456789019", False, id="off-by-one"),
        pytest.param("213456789018", False, id="transposed"),
        pytest.param("12345678901", False, id="11-digits"),
        pytest.param("1234567890188", False, id="13-digits"),
        pytest.param("12345678901a", False, id="letter"),
        pytest.param("１２３４５６７８９０１８", False, id="full-width-digits"),
        pytest.param("", False, id="empty"),
    ],
)
def test_is_valid_my_number(number, valid):
    assert is_valid_my_number(number) is valid


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        pytest.param("7000012050002", True, id="nta-published"),  # 国税庁's own 法人番号
        pytest.param("1000012050002", False, id="wrong-check-digit"),
        pytest.param("700001205000", False, id="12-digits"),
        pytest.param("70000120500021", False, id="14-digits"),
        pytest.param("700001205000x", False, id="letter"),
    ],
)
def test_is_valid_corporate_number(number, valid):
    assert is_valid_corporate_number(number) is valid


def test_corporate_check_digit_weights_odd_1_even_2():
    # last 12 = 000000000001 → P1 = 1 (odd, Q = 1) → Σ = 1 → 9 − 1 = 8
    assert corporate_number_check_digit("000000000001") == 8
    # last 12 = 000000000010 → P2 = 1 (even, Q = 2) → Σ = 2 → 9 − 2 = 7
    assert corporate_number_check_digit("000000000010") == 7
    # Σ ≡ 0 (mod 9) → check digit 9
    assert corporate_number_check_digit("000000000000") == 9


@pytest.mark.parametrize(
    ("code", "valid"),
    [
        pytest.param("162027", True, id="takaoka"),
        pytest.param("131016", True, id="chiyoda"),
        pytest.param("011002", True, id="sapporo"),
        pytest.param("162028", False, id="wrong-check"),
        pytest.param("16202", False, id="5-digits"),
    ],
)
def test_is_valid_municipality_code(code, valid):
    assert is_valid_municipality_code(code) is valid
