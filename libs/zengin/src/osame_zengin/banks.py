"""Bank and branch codes (金融機関コード・支店コード) checked against the kept zengin-code master."""

from __future__ import annotations

import jaconv
import zengin_code


class UnknownBankCode(ValueError):
    """The bank or branch code is not in the master (message carries codes only)."""


def known(bank_code: str) -> bool:
    """Whether the 4-digit bank code is in the zengin-code master."""
    return bank_code in zengin_code.Bank.all


def bank_kana(bank_code: str) -> str:
    bank = zengin_code.Bank.all.get(bank_code)
    if bank is None:
        raise UnknownBankCode(f"unknown bank code {bank_code}")
    return jaconv.z2h(bank.kana, kana=True, digit=True, ascii=True)


def branch_kana(bank_code: str, branch_code: str) -> str:
    bank = zengin_code.Bank.all.get(bank_code)
    if bank is None:
        raise UnknownBankCode(f"unknown bank code {bank_code}")
    branch = bank.branches.get(branch_code)
    if branch is None:
        raise UnknownBankCode(f"unknown branch code {bank_code}-{branch_code}")
    return jaconv.z2h(branch.kana, kana=True, digit=True, ascii=True)


def check(bank_code: str, branch_code: str) -> None:
    """UnknownBankCode unless both the bank and its branch are in the master."""
    branch_kana(bank_code, branch_code)
