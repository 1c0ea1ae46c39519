"""A receipt as every channel adapter delivers it (one normalized shape for all channels)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class NormalizedReceipt:
    """One payment from any channel: channel key, amount, 領収日 (paid_on), 収入日 (booked_on),
    速報/確報 flag and the raw record. `notice_number` is empty when the channel record names no
    known notice (the receipt is kept as unmatched)."""

    channel: str
    channel_key: str
    notice_number: str
    installment_no: int
    amount: int
    paid_on: dt.date
    booked_on: dt.date
    preliminary: bool = False
    record_no: int = 0
    raw: str = ""


@dataclass(frozen=True)
class RejectedRecord:
    """An invalid file record that may still report money (it goes to the suspense list, 保留):
    its amount (None when unreadable and not derivable from the trailer), what could be read of
    the payment, and the first located error (an object with `field` and `message`)."""

    record_no: int
    amount: int | None
    receipt: NormalizedReceipt | None
    error: object
