"""名寄せ (AddresseesMerged) in receipts' addressee copy: merged 宛名番号 → final survivor.

Receipts does not rewrite its ledger on a merge: a 通知書's 納税義務者 is what the 税務システム
assessed (only its 更正 changes it). It keeps, beside the addressee copy, an alias per merged
宛名番号 pointing at its *final* survivor (chains A → B → C flattened, any arrival order), so
the ledger can be read per person.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class MergeRefusal(StrEnum):
    CYCLE = "merge_cycle"  # the named survivor is (through earlier merges) the merged addressee itself
    MERGED_ELSEWHERE = "merged_elsewhere"  # already merged into another person


@dataclass(frozen=True)
class MergePlan:
    survivor: str  # the final survivor (the named one resolved through the merges already held)
    duplicate: bool = False
    refusal: MergeRefusal | None = None


def final_survivor(aliases: Mapping[str, str], addressee_id: str) -> str:
    """Follow merged → survivor until an addressee that is not merged (stops on a loop)."""
    seen = {addressee_id}
    current = addressee_id
    while current in aliases and aliases[current] not in seen:
        current = aliases[current]
        seen.add(current)
    return current


def plan_merge(aliases: Mapping[str, str], *, merged: str, survivor: str) -> MergePlan:
    """Apply "`merged` is `survivor`": new, duplicate (same final survivor), or refused."""
    final = final_survivor(aliases, survivor)
    if final == merged:
        return MergePlan(final, refusal=MergeRefusal.CYCLE)
    held = aliases.get(merged)
    if held is not None:
        if final_survivor(aliases, held) == final:
            return MergePlan(final, duplicate=True)
        return MergePlan(final, refusal=MergeRefusal.MERGED_ELSEWHERE)
    return MergePlan(final)
