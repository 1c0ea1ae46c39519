"""納付書 data: the eL番号 printed under the 地方税統一QRコード (eL-QR) and used by Pay-easy (MPN).

interfaces.md §4 [M]: an eL番号 is 収納機関番号 + 納付番号 + 確認番号 + 納付区分; their exact digit
lengths and the check rule are not public (U6), and so is the eL-QR payload layout. Osame's own
convention (receipts ``adapters/normalized.py``, docs/formats/eltax.md): 収納機関番号 5 digits (the
city's), 納付番号 = the 通知書番号 when it is all digits (at most 20), 確認番号 4 digits, 納付区分 =
the 期別 as 3 digits. The 確認番号 here is Osame's check (UNCONFIRMED: not LTA's rule, which is not
public; receipts does not check it): the weighted digit sum of the other parts modulo 10,000.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ElNumber:
    agency_code: str  # 収納機関番号
    payment_number: str  # 納付番号
    confirmation: str  # 確認番号
    payment_class: str  # 納付区分

    @property
    def digits(self) -> str:
        return self.agency_code + self.payment_number + self.confirmation + self.payment_class

    def printed(self) -> str:
        """As printed for manual entry: the parts separated by hyphens."""
        return "-".join((self.agency_code, self.payment_number, self.confirmation, self.payment_class))


def confirmation_digits(agency_code: str, payment_number: str, payment_class: str) -> str:
    """Osame's 4-digit 確認番号 (UNCONFIRMED, see the module doc): Σ digit × (position mod 7 + 1)."""
    text = agency_code + payment_number + payment_class
    return f"{sum(int(d) * (i % 7 + 1) for i, d in enumerate(text)) % 10_000:04d}"


def el_number(agency_code: str, notice_number: str, installment_no: int) -> ElNumber | None:
    """The eL番号 of one 期別, or None when its 通知書番号 cannot be a 納付番号 (not digits, > 20)."""
    if len(agency_code) != 5 or not agency_code.isdigit():
        raise ValueError("収納機関番号 is 5 digits")
    if not notice_number.isdigit() or len(notice_number) > 20 or not 0 <= installment_no <= 999:
        return None
    payment_class = f"{installment_no:03d}"
    return ElNumber(
        agency_code,
        notice_number,
        confirmation_digits(agency_code, notice_number, payment_class),
        payment_class,
    )
