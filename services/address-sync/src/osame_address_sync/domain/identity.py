"""団体内統合宛名番号 and 名寄せ (同一人) rules.

One person is one 統合宛名番号 across every 宛名番号 the city holds for them. Two 宛名 are
the same person when their 個人番号 blind indexes match; staff may also decide it (名寄せ)
when no 個人番号 is known, but never against two different 個人番号.
"""

from __future__ import annotations

from enum import StrEnum


class MergeRefusal(StrEnum):
    DIFFERENT_MY_NUMBERS = "different_my_numbers"  # both have a 個人番号 and they differ
    DIFFERENT_KINDS = "different_kinds"  # a person and a corporation
    ALREADY_MERGED_ELSEWHERE = "already_merged_elsewhere"  # merged into a third addressee


def merge_refusal(
    *,
    survivor_kind: str,
    merged_kind: str,
    survivor_index: str | None,
    merged_index: str | None,
    same_my_number: bool,
    merged_into: str | None,
    survivor_id: str,
) -> MergeRefusal | None:
    """Why a staff 名寄せ of `merged` into `survivor` is refused (None: allowed).

    `*_index` say whether each side has a 個人番号 (their blind index or None); `same_my_number`
    whether those numbers are equal (decided by the caller under every key of the keyring).
    """
    if survivor_kind != merged_kind:
        return MergeRefusal.DIFFERENT_KINDS
    if survivor_index is not None and merged_index is not None and not same_my_number:
        return MergeRefusal.DIFFERENT_MY_NUMBERS
    if merged_into is not None and merged_into != survivor_id:
        return MergeRefusal.ALREADY_MERGED_ELSEWHERE
    return None


def survivor_of(a: tuple[str, str, bool], b: tuple[str, str, bool]) -> tuple[str, str]:
    """(surviving, merged) addressee ids when two records are found to be one person.

    Each side is (addressee_id, unified_addressee_id, is_resident). The 住基 resident record
    survives (its address is the 住民票's); otherwise the older 統合宛名番号 (lower number).
    """
    if a[2] != b[2]:
        return (a[0], b[0]) if a[2] else (b[0], a[0])
    return (a[0], b[0]) if (int(a[1]), a[0]) <= (int(b[1]), b[0]) else (b[0], a[0])
