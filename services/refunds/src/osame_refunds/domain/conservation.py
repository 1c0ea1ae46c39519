"""Money conservation (DESIGN §3): for each taxpayer, what came in equals where it went.

Σ receipts (money in, not counting 充当 receipts, which move held money)
  = Σ applied to 本税/督促手数料/延滞金 (including 充当 receipts)
  + Σ refunded (paid out)
  + Σ held (overpayments not yet appropriated or refunded, and unmatched receipts)
  − Σ open recovery claims (refunded money whose receipt was withdrawn afterwards — a 不渡 after
    the payout: the taxpayer owes it back, so it is out of the city without having come in).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReceiptsSide:
    received: int  # Σ amounts of real receipts (channel ≠ appropriation)
    applied: int  # Σ applied of all receipts, 充当 included
    unmatched: int  # Σ receipts matching no installment, held at receipts


@dataclass(frozen=True)
class RefundsSide:
    refunded: int  # Σ refunds decided (principal part; interest is the city's money, not the taxpayer's)
    held: int  # Σ overpayments neither appropriated nor refunded
    recovery: int = 0  # Σ open recovery claims (返還請求)


@dataclass(frozen=True)
class Balance:
    addressee_id: str
    received: int
    accounted: int

    @property
    def difference(self) -> int:
        return self.received - self.accounted

    @property
    def ok(self) -> bool:
        return self.difference == 0


def balance(addressee_id: str, receipts: ReceiptsSide, refunds: RefundsSide) -> Balance:
    accounted = receipts.applied + receipts.unmatched + refunds.refunded + refunds.held - refunds.recovery
    return Balance(addressee_id, receipts.received, accounted)
