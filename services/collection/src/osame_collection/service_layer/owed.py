"""What installments still owe on a day (本税, 督促手数料, 延滞金) — the one place every view, 催告,
配当 and 不納欠損 asks (issue #12 defect 3: nothing owed disappears once the 本税 is paid).

An installment whose 本税 is still owed accrues its 延滞金 to the day (payments and 執行停止 as in
``domain.late_fee``); one whose 本税 is paid owes its 確定延滞金 (fixed at full payment and stored).
Money applied beyond the 本税 pays the 督促手数料, then the 延滞金 (``domain.projection.owed``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from osame_law import LawError

from osame_collection.adapters import late_fee_segments
from osame_collection.adapters.repository import CollectionRepository
from osame_collection.domain.late_fee import accrued_late_fee
from osame_collection.domain.late_fee_explained import explain
from osame_collection.domain.projection import InstallmentStatus, Owed, charges_paid, owed
from osame_collection.service_layer.policy import CollectionPolicy

Key = tuple[str, int]


@dataclass(frozen=True)
class OwedLine:
    owed: Owed
    late_fee_error: str | None = None  # why the 延滞金 could not be computed (never a silent 0)
    segments: tuple = ()  # the law library's segments of the 延滞金 computed here (B5)
    stored_segments: list[dict] | None = None  # a 確定延滞金's segments as stored when it was fixed

    def explained(self, tax_item: str) -> list[dict]:
        """The segments to show: the stored ones of a 確定延滞金, else those computed here."""
        return self.stored_segments if self.stored_segments is not None else explain(self.segments, tax_item)


async def owed_on(
    repo: CollectionRepository,
    items: list[dict],
    as_of: date,
    policy: CollectionPolicy,
    fee_first: bool | None = None,
) -> dict[Key, OwedLine]:
    """``fee_first``: None = the 充当 order in force on ``as_of`` (law data); the law-change preview
    passes the proposed one."""
    if fee_first is None:
        fee_first = (await repo.law_parameters(policy.demand_cutoff_business_days)).fee_first(as_of)
    keys = [(i["notice_number"], i["installment_no"]) for i in items]
    payments = await repo.payments_for(keys)
    exempt = await repo.exempt_intervals_for(keys, as_of)
    rates = await repo.rate_table()
    fixed = [
        (str(i["late_fee_version"]), k)
        for i, k in zip(items, keys, strict=True)
        if i["paid"] >= i["principal_tax"]
    ]
    stored = await late_fee_segments.load(repo.session, "fixed", fixed) if fixed else {}
    out: dict[Key, OwedLine] = {}
    for item, key in zip(items, keys, strict=True):
        paid = payments.get(key, [])
        error, segments = None, ()
        # 本税 paid by receipts collection saw: the 確定延滞金 from them (a period the rate table does
        # not price is an error, never the stale stored amount); paid otherwise (充当): the stored one
        from_payments = sum(a for _, a in paid) >= item["principal_tax"]
        if item["status"] == InstallmentStatus.OPEN.value or from_payments:
            try:
                accrual = accrued_late_fee(
                    item["principal_tax"],
                    item["due_date"],
                    max(as_of, item["due_date"]),
                    paid,
                    exempt.get(key, []),
                    policy.late_fee,
                    rates,
                )
                late_fee, segments = accrual.late_fee, accrual.segments
            except LawError as exc:
                late_fee, error = None, str(exc)
        else:
            late_fee = item["late_fee"]  # 確定延滞金, fixed when the 本税 was paid
        extra = charges_paid(sum(a for _, a in paid), item["paid"])
        out[key] = OwedLine(
            owed(item["principal_tax"], item["paid"], item["demand_fee"] or 0, late_fee, extra, fee_first),
            error,
            segments,
            stored.get((str(item["late_fee_version"]), key)),  # 本税 paid: the 確定延滞金 as fixed
        )
    return out
