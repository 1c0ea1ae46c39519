"""過誤納金 (overpayment) states. Appropriation (充当) and refund (還付) come with the Refunds issue."""

from __future__ import annotations

from enum import StrEnum


class OverpaymentStatus(StrEnum):
    HELD = "held"  # registered, awaiting 充当 / 還付
    APPROPRIATED = "appropriated"  # 充当済
    REFUNDED = "refunded"  # 還付済
