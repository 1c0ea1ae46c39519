"""名寄せ (AddresseesMerged): which 宛名番号 a merged addressee's case file now belongs to.

Address-sync decides that two 宛名 are one person (同一人, by the 個人番号 blind index, the
法人番号, or staff) and names the survivor (存続宛名: the one letters go to). Collection keeps
an alias per merged 宛名番号 pointing at its *final* survivor: chains (A merged into B, B later
into C) are flattened, whatever order the two events arrive in. Everything that later names a
merged 宛名番号 is filed under the survivor.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class MergeRefusal(StrEnum):
    CYCLE = "merge_cycle"  # the named survivor is (through earlier merges) the merged addressee itself
    MERGED_ELSEWHERE = "merged_elsewhere"  # the addressee was already merged into another person


@dataclass(frozen=True)
class MergePlan:
    survivor: str  # the final survivor: the named one, resolved through the merges already known
    duplicate: bool = False  # this merge (or one with the same final survivor) is already applied
    refusal: MergeRefusal | None = None


def final_survivor(aliases: Mapping[str, str], addressee_id: str) -> str:
    """The 宛名番号 a case file is kept under: follow merged → survivor until an unmerged one.

    A loop in the aliases (never written by `plan_merge`) stops at the last new id.
    """
    seen = {addressee_id}
    current = addressee_id
    while current in aliases and aliases[current] not in seen:
        current = aliases[current]
        seen.add(current)
    return current


def plan_merge(aliases: Mapping[str, str], *, merged: str, survivor: str) -> MergePlan:
    """How to apply "`merged` is the same person as `survivor`" given the aliases held.

    Idempotent: a repeat (or a merge into a survivor that has since been merged onwards into the
    same final survivor) is a duplicate. Refused: a cycle, or a merged addressee already filed
    under a different person (address-sync never sends that; staff must look at it).
    """
    final = final_survivor(aliases, survivor)
    if final == merged:
        return MergePlan(final, refusal=MergeRefusal.CYCLE)
    held = aliases.get(merged)
    if held is not None:
        if final_survivor(aliases, held) == final:
            return MergePlan(final, duplicate=True)
        return MergePlan(final, refusal=MergeRefusal.MERGED_ELSEWHERE)
    return MergePlan(final)
