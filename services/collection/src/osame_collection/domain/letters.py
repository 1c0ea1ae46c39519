"""督促状 / 催告書 letters: one letter, one addressee; the 送付先 override wins over the 住所.

A letter is not printed (``hold_reason``) when the addressee is under 支援措置 (protected: the
address is withheld), has died (承継 first), or has no address on file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class LetterLine:
    notice_number: str
    installment_no: int
    tax_item: str
    fiscal_year: int
    due_date: date
    principal_tax_due: int
    late_fee: int
    demand_fee: int
    late_fee_segments: tuple[dict, ...] = ()
    """The stored segments of ``late_fee`` (issue #12 B5), printed as a short table per line."""


@dataclass(frozen=True)
class Letter:
    letter_id: str
    kind: str  # demand_notice | reminder
    addressee_id: str
    issued_on: date
    recipient: str
    postal_code: str
    address: str
    via_override: bool
    lines: tuple[LetterLine, ...] = field(default=())
    earliest_seizure_on: date | None = None
    hold_reason: str | None = None
    reminder_deadline_days: int = 14  # a 催告書's 指定期限 days in force on its issue day (law data)

    @property
    def total(self) -> int:
        return sum(x.principal_tax_due + x.late_fee + x.demand_fee for x in self.lines)


def mailing(addressee: dict | None, override: dict | None) -> tuple[str, str, str, bool, str | None]:
    """(recipient, postal_code, address, via_override, hold_reason) for a letter."""
    if addressee is None:
        return "", "", "", False, "unknown_addressee"
    if addressee["protected"]:
        return addressee["name"], "", "", False, "protected_address"
    if addressee["deceased_on"] is not None:
        return addressee["name"], "", "", False, "deceased"
    if override is not None and override["address"]:
        recipient = override["recipient"] or addressee["name"]
        return recipient, override["postal_code"], override["address"], True, None
    if not addressee["address"]:
        return addressee["name"], "", "", False, "no_address"
    return addressee["name"], addressee["postal_code"], addressee["address"], False, None
