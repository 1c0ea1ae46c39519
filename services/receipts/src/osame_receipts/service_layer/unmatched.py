"""消込不能: announce receipts kept on the unmatched list, so collection holds the 督促 of a notice that
someone paid but could not be matched (incidents F6–F8: a 督促 to a taxpayer who already paid).

Both the single-payment path (`handlers.record_receipt`) and file imports (`imports.apply_receipts`)
end here; file imports publish at most 1,000 receipts per message.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping

from osame_chassis.uow import UnitOfWork
from osame_contracts.messages import receipts

_NOTICE = re.compile(r"^[0-9A-Za-z-]{0,20}$")


def _date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def item(row: Mapping) -> receipts.UnmatchedReceipt:
    """One unmatched receipt from a receipts row (`addressee_id` set when its notice exists)."""
    notice = row["notice_number"] or ""
    installment_no = row["installment_no"] or 0
    return receipts.UnmatchedReceipt(
        receipt_id=row["receipt_id"],
        channel=receipts.Channel(row["channel"]),
        amount=row["amount"],
        paid_on=_date(row["paid_on"]),
        booked_on=_date(row["booked_on"]),
        preliminary=bool(row.get("preliminary", False)),
        # what the payment named, kept only if it is a well-formed number (else the list shows it)
        notice_number=notice if _NOTICE.match(notice) else "",
        installment_no=installment_no if 0 <= installment_no <= 99 else 0,
        addressee_id=row.get("addressee_id"),
        reason=(
            receipts.UnmatchedReason.UNKNOWN_INSTALLMENT
            if row.get("addressee_id")
            else receipts.UnmatchedReason.UNKNOWN_NOTICE
        ),
    )


async def announce(uow: UnitOfWork, rows: Iterable[Mapping]) -> int:
    """Publish ReceiptsUnmatched for `rows` in messages of ≤ 1,000; returns the number of messages."""
    batch: list[receipts.UnmatchedReceipt] = []
    published = 0
    for row in rows:
        batch.append(item(row))
        if len(batch) == receipts.MAX_ITEMS_PER_MESSAGE:
            await uow.publish(receipts.ReceiptsUnmatched(items=batch))
            published, batch = published + 1, []
    if batch:
        await uow.publish(receipts.ReceiptsUnmatched(items=batch))
        published += 1
    return published
