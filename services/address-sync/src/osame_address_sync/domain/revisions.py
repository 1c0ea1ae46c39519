"""Per-record revisions (版): which incoming revision may replace the held one.

An outside system (住基, 宛名管理) numbers its changes; an older one arriving late is ignored.
A revision is never an arbitrary integer: it may move at most `window` past the one held
(next = current + 1 when the window is 1), so one message with revision 2147483647 cannot pin
a 支援措置 flag, a 送付先 or a name against every later change (issue 13 item 2). Over HTTP
address-sync is the owner and the window is 1: the caller must send exactly current + 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

# How far an outside system's revision may jump past the one held (lost or skipped revisions).
BUS_REVISION_WINDOW = 100


class RevisionVerdict(StrEnum):
    APPLY = "apply"
    STALE = "stale"  # not newer than the held one: ignored (or a conflict over HTTP)
    OUT_OF_WINDOW = "out_of_window"  # further ahead than the window allows: refused


@dataclass(frozen=True)
class RevisionPolicy:
    window: int = BUS_REVISION_WINDOW
    stale_is_conflict: bool = False  # HTTP: a stale revision is answered, not silently ignored

    def judge(self, incoming: int, held: int | None) -> RevisionVerdict:
        current = held or 0
        if held is not None and incoming <= held:
            return RevisionVerdict.STALE
        if incoming > current + self.window:
            return RevisionVerdict.OUT_OF_WINDOW
        return RevisionVerdict.APPLY

    def expected(self, held: int | None) -> str:
        current = held or 0
        return f"{current + 1}" if self.window == 1 else f"{current + 1}..{current + self.window}"


BUS = RevisionPolicy()
OWNER_ASSIGNED = RevisionPolicy(window=1, stale_is_conflict=True)
