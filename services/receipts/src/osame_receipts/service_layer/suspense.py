"""保留 / 未確認入金 (suspense): money that arrived but cannot be applied as it stands.

A file record reporting money that fails validation (unknown bank code on a paid record,
unreadable amount, bad check digit, implausible date) or that does not answer the request it
claims to (another 委託者, another 振替日, an amount differing from the 口座振替 request) is held
here with its located reason, never dropped and never applied silently. The file's totals still
reconcile: Σ applied + duplicates + unmatched + held + 不能 = the trailer.

A clerk lists the held items and resolves each: `resolve` applies it to an installment as a
receipt of its channel (keyed `suspense:<id>`, so it is applied once), `return_money` closes it
when the money is not the city's to keep (another 委託者's record, refunded to the payer).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from osame_chassis.ids import new_id
from osame_chassis.uow import UnitOfWork
from osame_contracts.messages import receipts

from osame_receipts.adapters.suspense import SuspenseRepository
from osame_receipts.domain.dates import check_receipt_dates
from osame_receipts.domain.reconciliation import DEFAULT_ORDER, Component
from osame_receipts.service_layer import handlers


class SuspenseError(ValueError):
    """A refused suspense action (message names the rule, never a value)."""


@dataclass(frozen=True)
class Held:
    """One record put on the suspense list, with where and why."""

    record_no: int | None
    field: str
    reason: str
    amount: int | None
    paid_on: dt.date | None = None
    booked_on: dt.date | None = None
    notice_number: str | None = None
    installment_no: int | None = None
    source: str | None = None  # the record as received (or its channel key): re-sent = held once

    def source_key(self, channel: str) -> str | None:
        if not self.source:
            return None
        return hashlib.sha256(f"{channel}|{self.source}".encode()).hexdigest()


async def hold(
    uow: UnitOfWork, items: list[Held], *, channel: str, batch_id: str | None, file: str | None
) -> tuple[int, int, int]:
    """Put `items` on the suspense list; returns (count, yen held, yen already held). A record
    already held (the same record re-sent, in this file or an earlier one) is not held twice."""
    repo = SuspenseRepository(uow.session)
    keys = [h.source_key(channel) for h in items]
    seen = await repo.known_sources(channel, [k for k in keys if k])
    fresh = []
    for h, key in zip(items, keys, strict=True):
        if key is None or key not in seen:
            fresh.append((h, key))
            if key:
                seen.add(key)
    again = sum(h.amount or 0 for h in items) - sum(h.amount or 0 for h, _ in fresh)
    items = [h for h, _ in fresh]
    await repo.add(
        [
            dict(
                suspense_id=new_id(),
                batch_id=batch_id,
                channel=channel,
                file_name=file[:255] if file else None,
                record_no=h.record_no,
                field=h.field[:40],
                reason=h.reason[:200],
                amount=h.amount,
                paid_on=h.paid_on,
                booked_on=h.booked_on,
                notice_number=(h.notice_number or None) and h.notice_number[:20],
                installment_no=h.installment_no,
                source_key=key,
            )
            for h, key in fresh
        ]
    )
    return len(items), sum(h.amount or 0 for h in items), again


async def search(uow: UnitOfWork, **filters) -> list[dict]:
    return await SuspenseRepository(uow.session).search(**filters)


async def resolve(
    uow: UnitOfWork,
    suspense_id: str,
    *,
    notice_number: str,
    installment_no: int,
    staff: str,
    amount: int | None = None,
    paid_on: dt.date | None = None,
    booked_on: dt.date | None = None,
    order: tuple[Component, ...] = DEFAULT_ORDER,
) -> dict:
    """Apply a held item to an installment (a receipt of its channel); the item becomes resolved.

    The clerk supplies what the record could not give (the amount of an unreadable record, the
    dates of a record with an implausible one) after checking the paper or the bank; what the
    record did give cannot be overridden here.
    """
    repo = SuspenseRepository(uow.session)
    item = await repo.get(suspense_id, lock=True)
    if item is None or item["status"] != "held":
        raise SuspenseError("no held suspense item with this id")
    if item["amount"] is not None and amount is not None and amount != item["amount"]:
        raise SuspenseError("amount differs from the amount the record reported")
    amount = item["amount"] if item["amount"] is not None else amount
    if not amount or amount <= 0:
        raise SuspenseError("amount is required: the record's amount was unreadable")
    paid_on = paid_on or item["paid_on"]
    booked_on = booked_on or item["booked_on"] or paid_on
    if paid_on is None:
        raise SuspenseError("paid_on is required: the record gave no readable 領収日")
    check_receipt_dates(paid_on, booked_on, uow.today())
    command = receipts.RecordReceipt(
        channel=receipts.Channel(item["channel"]),
        channel_key=f"suspense:{suspense_id}",
        notice_number=notice_number,
        installment_no=installment_no,
        amount=amount,
        paid_on=paid_on,
        booked_on=booked_on,
    )
    receipt_id = await handlers.record_receipt(command, uow, order=order)
    await repo.close(
        suspense_id, status="resolved", receipt_id=receipt_id, resolved_by=staff[:64], resolved_on=uow.today()
    )
    return {"suspense_id": suspense_id, "receipt_id": receipt_id, "amount": amount}


async def return_money(uow: UnitOfWork, suspense_id: str, *, note: str, staff: str) -> dict:
    """Close a held item whose money is not the city's to keep (returned to the bank or payer)."""
    repo = SuspenseRepository(uow.session)
    item = await repo.get(suspense_id, lock=True)
    if item is None or item["status"] != "held":
        raise SuspenseError("no held suspense item with this id")
    if not note.strip():
        raise SuspenseError("note is required: say where the money went")
    await repo.close(
        suspense_id, status="returned", note=note[:200], resolved_by=staff[:64], resolved_on=uow.today()
    )
    return {"suspense_id": suspense_id, "status": "returned"}
