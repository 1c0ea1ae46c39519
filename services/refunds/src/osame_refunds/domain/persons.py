"""名寄せ in refunds: which 宛名番号 are one person (法17条の2①: 充当 to "the same person's" debts).

Each AddresseesMerged says `merged` and `survivor` are one person. A person is the group of
宛名番号 joined by such pairs (transitively); it is named by the smallest 宛名番号 of the group, so
the result is the same whatever order the merges arrive in (chains A → B → C included) and a
repeat changes nothing. Un-merging (分離) is not built anywhere (address-sync neither).
"""

from __future__ import annotations

from collections.abc import Mapping


def join(groups: Mapping[str, str], merged: str, survivor: str) -> dict[str, str]:
    """The person id of every 宛名番号 of the joined group (both groups' members, the two named
    宛名番号 and the ids naming the two groups) after `merged` and `survivor` join.

    `groups` maps each 宛名番号 already known to its person id (a 宛名番号 missing from it is its
    own person).
    """
    first = groups.get(merged, merged)
    second = groups.get(survivor, survivor)
    person = min(first, second)
    members = {a for a, p in groups.items() if p in (first, second)} | {merged, survivor, first, second}
    return dict.fromkeys(sorted(members), person)
