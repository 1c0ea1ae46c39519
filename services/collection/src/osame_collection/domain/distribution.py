"""配当 (distribution of the proceeds of a sale or a collected claim in 滞納処分) — pure.

Order (domain-rules §4.2, 地方税法 14条の2–14条の10 with 国税徴収法 as the procedure):

0. 滞納処分費 — the direct costs of the sale (法14条の3), or of the compulsory sale in which the city
   filed a 交付要求 (法14条の2), come before everything else.
1. 担保権 (抵当権・質権 …) set **on or before** the 法定納期限等 of every tax and 公課 in the
   distribution rank ahead of them (法14条の9, 14条の10), first registered first.
2. Taxes (国税 and 地方税 alike): the attaching authority's tax first (差押先着手, 法14条の6), then the
   交付要求 and 参加差押 (a 参加差押 counts as a 交付要求, 徴収法86④) in the order they were filed
   (交付要求先着手, 法14条の7).
3. 公課 (public charges, e.g. social insurance) after every tax (法14 地方税優先), by filing order.
4. 担保権 set after every 法定納期限等, first registered first.
5. The rest goes back to the delinquent taxpayer (残余金, 徴収法129③).

Claims of equal rank (same rank, same filing day and same-day ``sequence``) share pro rata, yen by
largest remainder, ties to the claim listed first.

Within the city's own share (``allocate_own``): 督促手数料, then 本税, then 延滞金 — each oldest
納期限 first. 本税 before 延滞金 is the law (法14条の5 as summarised in domain-rules §1.5);
督促手数料 ahead of 本税 is the usual municipal 充当順位 (滞納処分費 → 督促手数料 → 本税 → 延滞金) [M].

Simplifications (refused rather than guessed): a 担保権 registered *between* the 法定納期限等 of the
taxes in the distribution makes the priorities circular (ぐるぐる回り), which 国税徴収法26 settles by a
step-by-step adjustment not implemented here — ``DistributionError("circular_priority")``. 担保 held
for a specific tax (法14条の8), 先取特権, 留置権 and 仮登記 are not modelled. General (unsecured)
creditors take no part in a 滞納処分 distribution (徴収法129①) and are not accepted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class DistributionError(ValueError):
    """A distribution that cannot be computed by these rules (reason code, no personal data)."""


class ClaimKind(StrEnum):
    SEIZURE = "seizure"  # 差押: the attaching authority's tax (at most one)
    CLAIM_FILING = "claim_filing"  # 交付要求 of a tax
    JOINT_SEIZURE = "joint_seizure"  # 参加差押 of a tax (ranks as a 交付要求)
    PUBLIC_CHARGE = "public_charge"  # 公課 (交付要求 of a public charge)
    SECURED = "secured"  # 担保権 (抵当権・質権 …) with its registration day


TAX_KINDS = (ClaimKind.SEIZURE, ClaimKind.CLAIM_FILING, ClaimKind.JOINT_SEIZURE)


@dataclass(frozen=True)
class Claim:
    """A claim on the proceeds. ``filed_on``: the 差押 / 交付要求 / 参加差押 day, or a 担保権's
    registration day. ``statutory_due_on``: a tax's or 公課's 法定納期限等 (compared with 担保権)."""

    claimant: str
    kind: ClaimKind
    amount: int
    filed_on: date | None = None
    statutory_due_on: date | None = None
    sequence: int = 0  # arrival order on the same day, when known


@dataclass(frozen=True)
class Allocation:
    claimant: str
    kind: str  # a ClaimKind value, "disposition_costs" or "surplus"
    rank: int
    claimed: int
    allocated: int


@dataclass(frozen=True)
class Distribution:
    proceeds: int
    allocations: tuple[Allocation, ...]
    surplus: int  # 残余金 returned to the taxpayer

    def allocated_to(self, claimant: str) -> int:
        return sum(a.allocated for a in self.allocations if a.claimant == claimant)


def distribute(proceeds: int, disposition_costs: int, claims: list[Claim]) -> Distribution:
    """配当計算: the proceeds split in the order above."""
    if proceeds < 0 or disposition_costs < 0 or any(c.amount < 0 for c in claims):
        raise DistributionError("negative_amount")
    if sum(1 for c in claims if c.kind is ClaimKind.SEIZURE) > 1:
        raise DistributionError("more_than_one_attaching_authority")
    for c in claims:
        if c.kind is not ClaimKind.SEIZURE and c.filed_on is None:
            raise DistributionError("filing_day_required")
        if c.kind is not ClaimKind.SECURED and c.statutory_due_on is None and _has_secured(claims):
            raise DistributionError("statutory_due_date_required")
    left = proceeds
    allocations: list[Allocation] = []
    costs = min(left, disposition_costs)
    allocations.append(Allocation("disposition_costs", "disposition_costs", 0, disposition_costs, costs))
    left -= costs
    for rank, group in _ranked_groups(claims):
        shares = _pro_rata(left, [c.amount for c in group])
        for claim, share in zip(group, shares, strict=True):
            allocations.append(Allocation(claim.claimant, claim.kind.value, rank, claim.amount, share))
        left -= sum(shares)
    return Distribution(proceeds, tuple(allocations), left)


def _has_secured(claims: list[Claim]) -> bool:
    return any(c.kind is ClaimKind.SECURED for c in claims)


def _ranked_groups(claims: list[Claim]) -> list[tuple[int, list[Claim]]]:
    """[(rank, claims sharing that place)] in payment order."""
    public = [c for c in claims if c.kind is not ClaimKind.SECURED]
    secured = [c for c in claims if c.kind is ClaimKind.SECURED]
    earliest_due = min((c.statutory_due_on for c in public if c.statutory_due_on), default=None)
    latest_due = max((c.statutory_due_on for c in public if c.statutory_due_on), default=None)
    before, after = [], []
    for s in secured:
        if earliest_due is None or s.filed_on <= earliest_due:
            before.append(s)
        elif s.filed_on > latest_due:
            after.append(s)
        else:
            raise DistributionError("circular_priority")  # 国税徴収法26 adjustment not implemented
    seizing = [c for c in claims if c.kind is ClaimKind.SEIZURE]
    filings = [c for c in claims if c.kind in (ClaimKind.CLAIM_FILING, ClaimKind.JOINT_SEIZURE)]
    charges = [c for c in claims if c.kind is ClaimKind.PUBLIC_CHARGE]
    out: list[tuple[int, list[Claim]]] = []
    for rank, members in ((1, before), (2, seizing), (3, filings), (4, charges), (5, after)):
        for group in _by_filing(members):
            out.append((rank, group))
    return out


def _by_filing(members: list[Claim]) -> list[list[Claim]]:
    """Groups in filing order; the same (day, sequence) is one group (simultaneous: pro rata)."""
    groups: dict[tuple, list[Claim]] = {}
    for c in members:
        groups.setdefault((c.filed_on or date.min, c.sequence), []).append(c)
    return [groups[k] for k in sorted(groups)]


def _pro_rata(available: int, amounts: list[int]) -> list[int]:
    """Each amount in full if possible, else shares of ``available`` in proportion (largest remainder)."""
    total = sum(amounts)
    if total <= available:
        return list(amounts)
    if total == 0 or available <= 0:
        return [0] * len(amounts)
    floors = [available * a // total for a in amounts]
    remainders = [available * a % total for a in amounts]
    short = available - sum(floors)
    for i in sorted(range(len(amounts)), key=lambda i: (-remainders[i], i))[:short]:
        floors[i] += 1
    return floors


# -- the city's own share ---------------------------------------------------------------------


@dataclass(frozen=True)
class OwnItem:
    """One installment of the city's claim: 本税 unpaid, 延滞金 accrued, 督促手数料 unpaid."""

    notice_number: str
    installment_no: int
    due_date: date
    principal: int
    late_fee: int
    demand_fee: int

    @property
    def total(self) -> int:
        return self.principal + self.late_fee + self.demand_fee


@dataclass(frozen=True)
class OwnAllocation:
    notice_number: str
    installment_no: int
    demand_fee: int
    principal: int
    late_fee: int


def allocate_own(share: int, items: list[OwnItem]) -> list[OwnAllocation]:
    """The city's share applied: 督促手数料, then 本税, then 延滞金, each oldest 納期限 first."""
    if share < 0:
        raise DistributionError("negative_amount")
    ordered = sorted(items, key=lambda i: (i.due_date, i.notice_number, i.installment_no))
    left = share
    parts: dict[tuple[str, int], dict[str, int]] = {
        (i.notice_number, i.installment_no): {"demand_fee": 0, "principal": 0, "late_fee": 0} for i in ordered
    }
    for field in ("demand_fee", "principal", "late_fee"):
        for item in ordered:
            take = min(left, getattr(item, field))
            parts[(item.notice_number, item.installment_no)][field] = take
            left -= take
    if left:
        raise DistributionError("share_exceeds_claim")
    return [OwnAllocation(k[0], k[1], **v) for k, v in parts.items()]
