"""全銀 総合振込 (種別21) file: byte-exact records, trailer totals, C-field alphabet, bank master."""

from __future__ import annotations

import datetime as dt

import pytest
from osame_zengin import banks as bank_master
from osame_zengin import transfer as zengin_transfer

REMITTER = zengin_transfer.Remitter(
    "1234567890", "ﾀｶｵｶｼ", "0001", "ﾐｽﾞﾎ", "001", "ﾄｳｷﾖｳｴｲｷﾞﾖｳﾌﾞ", "1", "1234567"
)


def transfer(
    amount=15_300, payee="ヤマダ　タロウ", reference="KANPU 000000000001", bank="0001", branch="001"
):
    return zengin_transfer.Transfer(
        bank, "ﾐｽﾞﾎ", branch, "ﾄｳｷﾖｳｴｲｷﾞﾖｳﾌﾞ", "1", "0012345", payee, amount, reference
    )


def test_file_is_120_byte_cp932_records_with_crlf():
    content = zengin_transfer.build(REMITTER, dt.date(2026, 7, 10), [transfer(), transfer(2_000)])
    records = content.split(b"\r\n")[:-1]
    assert [len(r) for r in records] == [120] * 5
    assert [r[:1] for r in records] == [b"1", b"2", b"2", b"8", b"9"]
    assert records[0][1:3] == b"21" and records[0][54:58] == b"0710"
    assert records[3][1:7] == b"000002" and records[3][7:19] == b"000000017300"
    data = records[1]
    assert data[50:80].decode("cp932").rstrip() == "ﾔﾏﾀﾞ ﾀﾛｳ"  # full-width → half-width kana
    assert data[80:90] == b"0000015300" and data[111:113] == b"7Y"
    assert data[91:111].decode("cp932").rstrip() == "KANPU 000000000001"


def test_round_trip_and_trailer_check():
    content = zengin_transfer.build(REMITTER, dt.date(2026, 7, 10), [transfer()], line_ending=b"")
    assert len(content) == 4 * 120
    _, transfers, trailer = zengin_transfer.parse(content)
    assert trailer == {"count": 1, "total": 15_300}
    assert transfers[0].reference == "KANPU 000000000001"
    tampered = content[: 2 * 120 + 7] + b"9" + content[2 * 120 + 8 :]  # trailer total
    with pytest.raises(zengin_transfer.TransferFileError, match="trailer"):
        zengin_transfer.parse(tampered)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        pytest.param(transfer(amount=0), "amount must be positive", id="zero-amount"),
        pytest.param(transfer(amount=10**10), "amount", id="amount-too-wide"),
        pytest.param(transfer(payee="山田太郎"), "payee", id="kanji-not-allowed"),
        pytest.param(transfer(bank="12"), "bank", id="bank-code-not-4-digits"),
    ],
)
def test_bad_values_are_refused_by_field(bad, message):
    with pytest.raises(zengin_transfer.TransferFileError, match=message):
        zengin_transfer.build(REMITTER, dt.date(2026, 7, 10), [bad])


def test_bank_master():
    assert bank_master.bank_kana("0001") == "ﾐｽﾞﾎ"
    bank_master.check("0001", "001")
    with pytest.raises(bank_master.UnknownBankCode, match="0001-999"):
        bank_master.check("0001", "999")
    with pytest.raises(bank_master.UnknownBankCode):
        bank_master.check("9998", "001")
