"""差押 (seizure) checks: the F12 identity match and the 差押禁止 protected amounts (F13).

- F12 (practice §3: 那珂市, 熊本市, 茅ヶ崎市): the holder of the property (as the bank, employer or
  registry reports them) must be our addressee by **name plus birth date or address**. Names and
  addresses are compared after NFKC normalisation with all whitespace removed; a same name alone
  never matches. The name is the kanji name or, when an answer gives only the kana (bank answers
  usually do, in half-width 全銀 kana without small letters: ｼｹﾝ ﾀﾛｳ), the kana name compared as
  katakana with small letters made full-size and 長音/中点 kept (``kana_key``).
- Salaries and pensions (徴収法76, 77; applied to local tax by 法331⑥ etc.): per month the protected
  amount is withheld income taxes and social insurance + 100,000 yen for the taxpayer + 45,000 yen
  per dependent living with them (徴収法施行令34) + 20% of what is left, the 20% part capped at
  twice the living allowance. Amounts are parameters (``SalaryProtection``) — the figures are our
  reading [L] and must be confirmed against 施行令34 in force.
- Deposits (F13, 鳥取県児童手当 case): money credited from a 差押禁止 source (児童手当, 生活保護,
  年金 …) keeps its protection in the account; salary/pension credits are protected like salary
  (大阪高裁 2019-09-26). The seizable amount is the balance minus the protected credits.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class PropertyType(StrEnum):
    DEPOSIT = "deposit"  # 預貯金
    SALARY = "salary"  # 給与
    PENSION = "pension"  # 年金
    REAL_ESTATE = "real_estate"  # 不動産
    VEHICLE = "vehicle"  # 自動車
    MOVABLES = "movables"  # 動産
    RECEIVABLE = "receivable"  # 債権 (other)


class MatchResult(StrEnum):
    NAME_AND_BIRTH_DATE = "name_and_birth_date"
    NAME_AND_ADDRESS = "name_and_address"
    NAME_ONLY = "name_only"  # refused
    NO_MATCH = "no_match"  # refused


def normalise(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


_SMALL_KANA = str.maketrans("ァィゥェォッャュョヮヵヶ", "アイウエオツヤユヨワカケ")
_HIRAGANA = {chr(c): chr(c + 0x60) for c in range(ord("ぁ"), ord("ゖ") + 1)}


def kana_key(text: str) -> str:
    """A kana name as banks and employers write it, reduced to one form: NFKC (half-width → full),
    hiragana → katakana, small kana → full-size (全銀 kana has no small letters), no whitespace."""
    full = normalise(text)
    return "".join(_HIRAGANA.get(ch, ch) for ch in full).translate(_SMALL_KANA)


@dataclass(frozen=True)
class Identity:
    name: str
    birth_date: date | None = None
    address: str = ""
    name_kana: str = ""


def same_name(addressee: Identity, holder: Identity) -> bool:
    """The kanji names agree, or (either side lacking one) the kana names do."""
    if addressee.name and holder.name:
        return normalise(addressee.name) == normalise(holder.name)
    return bool(addressee.name_kana and holder.name_kana) and kana_key(addressee.name_kana) == kana_key(
        holder.name_kana
    )


def match_holder(addressee: Identity, holder: Identity) -> MatchResult:
    """F12: name (kanji, or kana when the answer has no kanji) plus birth date or address; anything
    less is refused."""
    if not same_name(addressee, holder):
        return MatchResult.NO_MATCH
    if addressee.birth_date is not None and holder.birth_date == addressee.birth_date:
        return MatchResult.NAME_AND_BIRTH_DATE
    if addressee.address and holder.address and normalise(addressee.address) == normalise(holder.address):
        return MatchResult.NAME_AND_ADDRESS
    return MatchResult.NAME_ONLY


def is_accepted(result: MatchResult) -> bool:
    return result in (MatchResult.NAME_AND_BIRTH_DATE, MatchResult.NAME_AND_ADDRESS)


@dataclass(frozen=True)
class SalaryProtection:
    """徴収法76① parameters (per month)."""

    living_allowance: int = 100_000
    per_dependent: int = 45_000
    share_of_rest_percent: int = 20
    share_cap_multiple: int = 2


def protected_salary(
    gross: int,
    withheld_taxes: int,
    social_insurance: int,
    dependents: int,
    rule: SalaryProtection | None = None,
) -> int:
    """差押禁止額 of one month's salary or pension (never more than the gross)."""
    rule = rule or SalaryProtection()
    if min(gross, withheld_taxes, social_insurance, dependents) < 0:
        raise ValueError("amounts and dependents must not be negative")
    deductions = withheld_taxes + social_insurance
    living = rule.living_allowance + rule.per_dependent * dependents
    rest = max(gross - deductions - living, 0)
    share = min(rest * rule.share_of_rest_percent // 100, living * rule.share_cap_multiple)
    return min(gross, deductions + living + share)


class CreditSource(StrEnum):
    CHILD_ALLOWANCE = "child_allowance"  # 児童手当 (児童手当法15)
    PUBLIC_ASSISTANCE = "public_assistance"  # 生活保護 (生活保護法58)
    PENSION = "pension"  # 年金
    SALARY = "salary"  # 給与
    OTHER_PROTECTED = "other_protected"  # other 差押禁止債権 (e.g. 児童扶養手当, 失業等給付)
    ORDINARY = "ordinary"


FULLY_PROTECTED = {CreditSource.CHILD_ALLOWANCE, CreditSource.PUBLIC_ASSISTANCE, CreditSource.OTHER_PROTECTED}


@dataclass(frozen=True)
class Credit:
    source: CreditSource
    amount: int
    protected_part: int | None = None
    """For salary/pension credits: the 徴収法76 protected amount (None = all of it)."""


def seizable_deposit(balance: int, recent_credits: list[Credit]) -> tuple[int, int]:
    """(seizable, protected) amounts of a deposit balance given the credits that funded it (F13)."""
    protected = 0
    for credit in recent_credits:
        if credit.source in FULLY_PROTECTED:
            protected += credit.amount
        elif credit.source in (CreditSource.SALARY, CreditSource.PENSION):
            protected += (
                credit.amount if credit.protected_part is None else min(credit.protected_part, credit.amount)
            )
    protected = min(protected, balance)
    return balance - protected, protected
