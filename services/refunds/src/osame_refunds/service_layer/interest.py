"""Recording 還付加算金 (法17条の4) of each part of an overpayment, with its explanation.

- `credit_appropriated_part`: when receipts booked a 充当, the interest on the appropriated yen from
  the cause's start to the 充当適状日 is owed to the taxpayer (then refunded or, once receipts can
  book it, appropriated) — whatever later happens to the rest of the overpayment.
- `fix_refunded_part`: at approval (支出決定), the interest on the refunded yen to the 支出決定日.
A part the law library cannot compute yet (e.g. no rate announced for the year) is kept as
`uncomputed` with the reason; no refund of that overpayment goes out until `recompute` succeeds.
"""

from __future__ import annotations

import datetime as dt

from osame_chassis.ids import new_id
from osame_law.errors import LawError

from osame_refunds.adapters.repository import RefundsRepository
from osame_refunds.domain.interest import CauseDates, InterestLine, interest_for
from osame_refunds.domain.overpayment import refund_cause


def cause_dates(overpayment, claim: CauseDates | None = None) -> CauseDates:
    return CauseDates(
        requested_on=overpayment["requested_on"],
        corrected_on=overpayment["corrected_on"],
        notified_on=overpayment["notified_on"],
        claim_notice_on=claim.claim_notice_on if claim else None,
        claimed_on=claim.claimed_on if claim else None,
    )


def line_for(overpayment, amount: int, end: dt.date, *, appropriated: bool, claim=None) -> InterestLine:
    """Raises LawError when the law library cannot compute it (message names fields, no PII)."""
    return interest_for(
        amount,
        refund_cause(overpayment["cause"]),
        overpayment["paid_on"],
        end,
        cause_dates(overpayment, claim),
        appropriated=appropriated,
    )


def _values(line: InterestLine) -> dict:
    return {
        "base_amount": line.amount,
        "start": line.start,
        "end": line.end,
        "interest": line.interest,
        "unrounded": line.unrounded,
        "excluded_days": line.excluded_days,
        "segments": list(line.segments),
        "legal_basis": line.legal_basis,
        "error": None,
    }


async def credit_appropriated_part(
    repo: RefundsRepository, overpayment, appropriation, today: dt.date
) -> None:
    values = {
        "part_id": new_id(),
        "overpayment_id": overpayment["overpayment_id"],
        "addressee_id": overpayment["addressee_id"],
        "kind": "appropriated",
        "reference": appropriation["appropriation_id"],
        "cause": overpayment["cause"],
        "computed_on": today,
    }
    try:
        line = line_for(
            overpayment, appropriation["total"], appropriation["appropriable_on"], appropriated=True
        )
    except LawError as exc:
        await repo.add_interest_part(**values, **_uncomputed(appropriation, str(exc)))
        return
    await repo.add_interest_part(**values, **_values(line), status="owed")


def _uncomputed(appropriation, error: str) -> dict:
    end = appropriation["appropriable_on"]
    return {
        "base_amount": appropriation["total"],
        "start": end,
        "end": end,
        "interest": 0,
        "unrounded": 0,
        "excluded_days": 0,
        "segments": [],
        "legal_basis": "",
        "status": "uncomputed",
        "error": error[:200],
    }


async def fix_refunded_part(
    repo: RefundsRepository, overpayment, refund, decided_on: dt.date, claim: CauseDates, today: dt.date
) -> InterestLine | None:
    """The refunded part's interest to the 支出決定日 (None when no principal is refunded)."""
    if refund["amount"] <= 0:
        return None
    line = line_for(overpayment, refund["amount"], decided_on, appropriated=False, claim=claim)
    await repo.add_interest_part(
        part_id=new_id(),
        overpayment_id=overpayment["overpayment_id"],
        addressee_id=overpayment["addressee_id"],
        kind="refunded",
        reference=refund["refund_id"],
        cause=overpayment["cause"],
        computed_on=today,
        status="in_refund",
        refund_id=refund["refund_id"],
        **_values(line),
    )
    return line


async def recompute(repo: RefundsRepository, overpayment_id: str) -> int:
    """Recompute every appropriated part not yet paid (after a cause correction, or once the year's
    rate is known). Returns how many parts are still uncomputed."""
    overpayment = await repo.overpayment(overpayment_id, lock=True)
    left = 0
    for part in await repo.interest_parts(overpayment_id, "owed", "in_refund", "uncomputed"):
        if part["kind"] != "appropriated":
            continue
        appropriation = await repo.appropriation(part["reference"])
        try:
            line = line_for(
                overpayment, part["base_amount"], appropriation["appropriable_on"], appropriated=True
            )
        except LawError as exc:
            await repo.update_interest_parts([part["part_id"]], **_uncomputed(appropriation, str(exc)))
            left += 1
            continue
        status = "in_refund" if part["refund_id"] else "owed"  # still carried by its refund
        await repo.update_interest_parts(
            [part["part_id"]], **_values(line), status=status, cause=overpayment["cause"]
        )
    return left
