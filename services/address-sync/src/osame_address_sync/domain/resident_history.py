"""住基 異動 history of one person and the state it yields.

The state of a person is the fold of their *active* changes in the register's per-person
sequence order: a change that arrives late is slotted into its place, so it never
overwrites a newer one; a 異動の取消し (cancellation) removes exactly the change it names
from the fold, and the state is folded again. The 個人番号 is not held here: a change that
carries one is marked, and the state names the change whose number is current.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from enum import StrEnum

from osame_contracts.messages.address_sync import CHANGE_GROUP, ChangeGroup, ChangeKind


class Status(StrEnum):
    RESIDENT = "resident"  # 住民 (記載 in the register)
    MOVED_OUT = "moved_out"  # 転出 / 国外転出 (消除)
    DECEASED = "deceased"  # 死亡 (消除)
    REMOVED = "removed"  # 職権消除


@dataclass(frozen=True)
class ChangeRecord:
    """One stored 異動 (never the 個人番号 itself: `carries_my_number` only says it had one)."""

    change_id: str
    sequence: int
    kind: ChangeKind
    changed_on: dt.date
    notified_on: dt.date | None = None
    cancels_change_id: str | None = None
    fields: dict = field(default_factory=dict)  # ResidentFields values that were set, minus my_number
    carries_my_number: bool = False


@dataclass(frozen=True)
class ResidentState:
    status: Status | None = None
    name: str | None = None
    name_kana: str = ""
    former_surname: str | None = None
    alias: str | None = None
    date_of_birth: dt.date | None = None
    household_id: str | None = None
    householder: bool | None = None
    address: dict | None = None  # StructuredAddress values
    previous_address: dict | None = None
    destination: dict | None = None
    resident_since: dt.date | None = None
    moved_out_on: dt.date | None = None
    deceased_on: dt.date | None = None
    removed_on: dt.date | None = None
    my_number_change_id: str | None = None  # the change whose 個人番号 is current
    last_sequence: int = 0


class Verdict(StrEnum):
    ACCEPT = "accept"
    DUPLICATE = "duplicate"  # the same change again: no-op
    CONFLICT = "conflict"  # same change id with other content, or another change on the same sequence
    CANCELS_A_CANCELLATION = "cancels_a_cancellation"


def judge(incoming: ChangeRecord, history: list[ChangeRecord]) -> Verdict:
    """Whether `incoming` may join `history` (the person's stored changes)."""
    for held in history:
        if held.change_id == incoming.change_id:
            return Verdict.DUPLICATE if held == incoming else Verdict.CONFLICT
        if held.sequence == incoming.sequence:
            return Verdict.CONFLICT
    if incoming.cancels_change_id is not None:
        target = next((h for h in history if h.change_id == incoming.cancels_change_id), None)
        if target is not None and target.kind is ChangeKind.CANCELLATION:
            return Verdict.CANCELS_A_CANCELLATION
    if incoming.kind is ChangeKind.CANCELLATION and any(
        h.cancels_change_id == incoming.change_id for h in history
    ):
        return Verdict.CANCELS_A_CANCELLATION  # the cancelling cancellation arrived first
    return Verdict.ACCEPT


def cancelled_ids(history: list[ChangeRecord]) -> set[str]:
    return {h.cancels_change_id for h in history if h.cancels_change_id is not None}


def active_changes(history: list[ChangeRecord]) -> list[ChangeRecord]:
    """Changes in force: not cancellations, not cancelled; in sequence order."""
    cancelled = cancelled_ids(history)
    return sorted(
        (h for h in history if h.kind is not ChangeKind.CANCELLATION and h.change_id not in cancelled),
        key=lambda h: h.sequence,
    )


_PLAIN_FIELDS = (
    "name",
    "name_kana",
    "former_surname",
    "alias",
    "date_of_birth",
    "household_id",
    "householder",
    "address",
    "previous_address",
)


def apply(state: ResidentState, change: ChangeRecord) -> ResidentState:
    """The state after one change (pure)."""
    values = {k: change.fields[k] for k in _PLAIN_FIELDS if change.fields.get(k) is not None}
    if change.carries_my_number:
        values["my_number_change_id"] = change.change_id
    group = CHANGE_GROUP[change.kind]
    if group is ChangeGroup.ENTRY:
        values.update(
            status=Status.RESIDENT,
            resident_since=change.changed_on,
            moved_out_on=None,
            destination=None,
            removed_on=None,
        )
    elif change.kind in (ChangeKind.MOVED_OUT, ChangeKind.MOVED_ABROAD):
        values.update(
            status=Status.MOVED_OUT,
            moved_out_on=change.changed_on,
            destination=change.fields.get("destination"),
        )
    elif change.kind is ChangeKind.DEATH:
        values.update(status=Status.DECEASED, deceased_on=change.changed_on)
    elif change.kind is ChangeKind.EX_OFFICIO_REMOVAL:
        values.update(status=Status.REMOVED, removed_on=change.changed_on)
    elif change.fields.get("destination") is not None:
        values["destination"] = change.fields["destination"]  # 職権修正 of a 転出先
    values["last_sequence"] = max(state.last_sequence, change.sequence)
    return replace(state, **values)


def fold(history: list[ChangeRecord]) -> ResidentState:
    """The person's state: every active change applied in sequence order."""
    state = ResidentState()
    for change in active_changes(history):
        state = apply(state, change)
    return state
