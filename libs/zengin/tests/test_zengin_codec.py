"""The 全銀 codec (interfaces.md §1.1): fields, the kana alphabet, bank codes, round trips, errors."""

from __future__ import annotations

import datetime as dt

import pytest
from osame_zengin import banks, codec, debit, transfer


# The cases of receipts' 預金者名 and refunds' 受取人名 tests, moved here with the codec.
@pytest.mark.parametrize(
    ("text", "field"),
    [
        pytest.param("キュウジョウ", "ｷﾕｳｼﾞﾖｳ", id="small-kana-full-size"),
        pytest.param("きゅうじょう", "ｷﾕｳｼﾞﾖｳ", id="hiragana-small-kana"),
        pytest.param("ヴィヴァルディ", "ｳﾞｲｳﾞｱﾙﾃﾞｲ", id="voiced-marks-separate"),
        pytest.param("ｶ)ﾃｽﾄｼｮｳｼﾞ", "ｶ)ﾃｽﾄｼﾖｳｼﾞ", id="half-width-small-kana-in-a-company-name"),
        pytest.param("abc　ｹｰｷ", "ABC ｹ-ｷ", id="upper-case-and-long-vowel"),
        pytest.param("ヵヶヮ", "ｶｹﾜ", id="full-width-only-small-kana"),
        pytest.param("ヤマダ タロウ", "ﾔﾏﾀﾞ ﾀﾛｳ", id="full-width-katakana"),
        pytest.param("やまだ たろう", "ﾔﾏﾀﾞ ﾀﾛｳ", id="hiragana"),
        pytest.param("ﾔﾏﾀﾞ ﾀﾛｳ", "ﾔﾏﾀﾞ ﾀﾛｳ", id="half-width-unchanged"),
        pytest.param("キョウ", "ｷﾖｳ", id="small-kana-made-full-size"),
        pytest.param("ｷｮｳ", "ｷﾖｳ", id="half-width-small-kana-made-full-size"),
        pytest.param("ヴァ", "ｳﾞｱ", id="voiced-mark-separate"),
        pytest.param("ヲ", "ｵ", id="wo-as-o"),
        pytest.param("ヵヶヮヰヱ", "ｶｹﾜｲｴ", id="full-width-only-kana"),
        pytest.param("ﾊﾟｰｸ abc", "ﾊﾟ-ｸ ABC", id="long-vowel-and-lower-case"),
        pytest.param("カ）ｵｻﾒ", "ｶ)ｵｻﾒ", id="full-width-parenthesis"),
        pytest.param("ヤマダ・タロウ", "ﾔﾏﾀﾞ.ﾀﾛｳ", id="nakaguro-as-dot"),
        pytest.param("ＡＢＣ　１２３", "ABC 123", id="full-width-ascii-and-space"),
    ],
)
def test_names_come_into_the_one_alphabet(text, field):
    assert codec.kana(text) == field
    assert codec.ALPHABET.match(field)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("山田", id="kanji"),
        pytest.param("A,B", id="comma"),
        pytest.param("A\\B", id="backslash"),
        pytest.param("A@B", id="at-sign"),
    ],
)
def test_characters_a_bank_refuses_are_refused_without_echoing_them(text):
    with pytest.raises(codec.FieldValueError, match=r"^holder: [12] character") as info:
        codec.kana(text, "holder")
    assert text not in str(info.value)


@pytest.mark.parametrize(
    ("value", "width", "expected"),
    [
        pytest.param(0, 6, b"000000", id="zero"),
        pytest.param(12_300, 10, b"0000012300", id="amount"),
        pytest.param("0001", 4, b"0001", id="code-kept"),
        pytest.param(999_999, 6, b"999999", id="full-width"),
    ],
)
def test_n_fields_are_zero_padded_digits(value, width, expected):
    assert codec.n(value, width, "f") == expected


@pytest.mark.parametrize(
    ("value", "width"),
    [
        pytest.param(1_000_000, 6, id="too-many-digits"),
        pytest.param(-1, 6, id="negative"),
        pytest.param("12a", 4, id="not-digits"),
    ],
)
def test_n_fields_refuse_what_does_not_fit(value, width):
    with pytest.raises(codec.FieldValueError, match=rf"^amount: not {width} digits"):
        codec.n(value, width, "amount")


def test_codes_are_exactly_their_width():
    assert codec.code("0001", 4, "bank") == b"0001"
    with pytest.raises(codec.FieldValueError, match="bank: not exactly 4 digits"):
        codec.code("001", 4, "bank")


@pytest.mark.parametrize(
    ("text", "cut", "expected"),
    [
        pytest.param("ｱｲｳ", False, b"\xb1\xb2\xb3  ", id="space-padded"),
        pytest.param("ｱｲｳｴｵｶ", True, b"\xb1\xb2\xb3\xb4\xb5", id="informative-name-cut"),
    ],
)
def test_c_fields_are_space_padded_cp932(text, cut, expected):
    assert codec.c(text, 5, "name", cut=cut) == expected


def test_a_c_field_too_long_is_refused_with_its_length():
    with pytest.raises(codec.TooLong) as info:
        codec.c("ｱｲｳｴｵｶ", 5, "payee")
    assert (info.value.length, info.value.width) == (6, 5)


@pytest.mark.parametrize(
    ("bank", "branch", "ok"),
    [
        pytest.param("0001", "001", True, id="known"),
        pytest.param("0001", "999", False, id="unknown-branch"),
        pytest.param("9998", "001", False, id="unknown-bank"),
    ],
)
def test_bank_codes_are_checked_against_the_master(bank, branch, ok):
    if ok:
        banks.check(bank, branch)
        assert banks.known(bank)
    else:
        with pytest.raises(banks.UnknownBankCode, match=bank):
            banks.check(bank, branch)


HEADER = debit.Header("1234567890", "ｼﾔｸｼﾖ", dt.date(2026, 6, 30), "0001", "001")


def _debit(amount: int, result: str = "0", bank: str = "0001") -> debit.DebitRecord:
    return debit.DebitRecord(bank, "001", "1", "1234567", "ヤマダ タロウ", amount, "C1", result_code=result)


@pytest.mark.parametrize("crlf", [True, False], ids=["crlf", "continuous"])
def test_a_debit_result_file_round_trips(crlf):
    data = debit.build_file(HEADER, [_debit(12_300), _debit(4_500, "1")], result=True, crlf=crlf)
    parsed = debit.parse_file(data, "r.txt", year=2026)
    assert not parsed.errors
    assert [r.holder_kana for r in parsed.file.records] == ["ﾔﾏﾀﾞ ﾀﾛｳ"] * 2
    assert parsed.file.record_numbers == [2, 3]
    assert debit.build_file(parsed.file.header, parsed.file.records, result=True, crlf=crlf) == data


def test_a_transfer_file_round_trips():
    remitter = transfer.Remitter("1234567890", "ﾀｶｵｶｼ", "0001", "ﾐｽﾞﾎ", "001", "ﾄｳｷﾖｳ", "1", "7654321")
    payee = transfer.Transfer("0001", "ﾐｽﾞﾎ", "001", "ﾄｳｷﾖｳ", "1", "1234567", "きゅうじょう", 5_000, "R1")
    content = transfer.build(remitter, dt.date(2026, 7, 10), [payee])
    header, [line], trailer = transfer.parse(content)
    assert header["kind"] == "21"
    assert (line.bank_code, line.amount, line.reference) == ("0001", 5_000, "R1")
    assert trailer == {"count": 1, "total": 5_000}


@pytest.mark.parametrize(
    ("mutate", "record_no", "field"),
    [
        pytest.param(
            lambda lines: lines.__setitem__(1, lines[1][:1] + b"99" + lines[1][3:]),
            2,
            "引落銀行番号",
            id="unknown-bank-code",
        ),
        pytest.param(
            lambda lines: lines.__setitem__(2, lines[2][:42] + b"7" + lines[2][43:]),
            3,
            "預金種目",
            id="bad-account-type",
        ),
        pytest.param(
            lambda lines: lines.__setitem__(1, lines[1][:91] + b" " * 20 + lines[1][111:]),
            2,
            "顧客番号",
            id="blank-customer-number",
        ),
        pytest.param(
            lambda lines: lines.__setitem__(3, lines[3][:1] + b"000009" + lines[3][7:]),
            4,
            "合計件数",
            id="trailer-count",
        ),
        pytest.param(lambda lines: lines.__setitem__(1, lines[1][:119]), 2, "record", id="short-record"),
    ],
)
def test_errors_are_located_by_record_and_field(mutate, record_no, field):
    lines = debit.build_file(HEADER, [_debit(100), _debit(200)], result=True).split(b"\r\n")[:-1]
    mutate(lines)
    parsed = debit.parse_file(b"".join(line + b"\r\n" for line in lines), "r.txt", year=2026)
    assert (record_no, field) in {(e.record_no, e.field) for e in parsed.errors}
    assert all(e.file == "r.txt" for e in parsed.errors)


@pytest.mark.parametrize(
    ("amounts", "total", "expected"),
    [
        pytest.param([100, 200], 300, [100, 200], id="all-readable"),
        pytest.param([100, None], 300, [100, 200], id="one-unreadable-from-the-trailer"),
        pytest.param([100, 200], 301, None, id="mismatch-refused"),
        pytest.param([100, None], 100, None, id="one-unreadable-nothing-left"),
        pytest.param([None, None], 300, [None, None], id="several-unreadable-kept"),
    ],
)
def test_unreadable_amounts_against_the_trailer(amounts, total, expected):
    assert codec.fill_from_trailer(amounts, total) == expected
