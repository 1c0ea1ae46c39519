"""滞納整理 担当一覧: the worklists of collection (one tab per list), paged.

Over collection's `GET /worklists/{kind}`. The console checks first (no call when refused): any
list needs `worklists.read`; another 担当's list, or everybody's (`*`), needs `worklists.team` too.
Collection checks both again and answers as of its business date (no date is sent). Items carry
宛名番号, keys, days and amounts only; each row links to the case page (its own access rules).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from osame_console.adapters.services import ServicesClient
from osame_console.domain.errors import InputRefused
from osame_console.domain.permissions import Action, Staff, allowed, require
from osame_console.service_layer.signin import StaffSession

PAGE_SIZE = 50
MAX_PAGE = 100_000  # collection's own bound on `page`
EVERYONE = "*"
ASSIGNEE = re.compile(r"^[0-9A-Za-z._@-]{1,64}$")  # a staff id (never a taxpayer's data)
# kind → tab label (collection's kinds, in the order a 担当 works them)
KINDS: dict[str, str] = {
    "cases": "担当案件",
    "next-actions": "次回対応日到来",
    "promises": "納付約束日",
    "limitation": "時効完成間近",
    "seizures": "換価未了の差押",
    "pledges-breached": "分納不履行",
}
# optional day windows a list takes: query name → (collection's bounds, message)
WINDOWS: dict[str, tuple[str, int, str]] = {
    "horizon_days": ("limitation", 1098, "時効完成までの日数は0〜1098の半角数字で指定してください"),
    "ahead_days": ("promises", 31, "先読み日数は0〜31の半角数字で指定してください"),
}


@dataclass(frozen=True)
class WorklistPage:
    kind: str
    label: str
    assignee: str | None  # None: the signed-in user's own list
    rows: list[dict]
    page: int
    per_page: int
    total: int
    as_of: str | None
    windows: dict[str, int]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def may_choose_assignee(staff: Staff) -> bool:
    """The 担当 selector is shown only to users who may read another 担当's list."""
    return allowed(staff, Action.WORKLIST_TEAM)


def checked_kind(value: str | None) -> str:
    if value in (None, ""):
        return "cases"
    if value not in KINDS:
        raise InputRefused({"kind": "一覧の種類が正しくありません"})
    return value


def checked_page(value: str | None) -> int:
    if value in (None, ""):
        return 1
    if not value.isdigit() or not 1 <= int(value) <= MAX_PAGE:
        raise InputRefused({"page": "ページは1以上の半角数字で指定してください"})
    return int(value)


def checked_assignee(staff: Staff, value: str | None, kind: str) -> str | None:
    """None for the user's own list; another 担当 (or `*`) only with the team permission."""
    value = (value or "").strip()
    if value in ("", staff.user):
        return None
    if value != EVERYONE and not ASSIGNEE.match(value):
        raise InputRefused({"assignee": "担当者は職員IDで指定してください"})
    require(staff, Action.WORKLIST_TEAM)
    if value == EVERYONE and kind == "cases":
        raise InputRefused({"assignee": "担当案件の一覧は担当者を1人選んでください"})
    return value


def checked_windows(kind: str, given: dict[str, str | None]) -> dict[str, int]:
    found = {}
    for name, (applies_to, most, message) in WINDOWS.items():
        value = given.get(name)
        if kind != applies_to or value in (None, ""):
            continue
        if not value.isdigit() or int(value) > most:
            raise InputRefused({name: message})
        found[name] = int(value)
    return found


async def worklist(
    api: ServicesClient,
    staff: StaffSession,
    kind: str | None,
    *,
    assignee: str | None = None,
    page: str | None = None,
    windows: dict[str, str | None] | None = None,
) -> WorklistPage:
    require(staff, Action.WORKLIST_READ)
    kind = checked_kind(kind)
    number = checked_page(page)
    who = checked_assignee(staff, assignee, kind)
    days = checked_windows(kind, windows or {})
    params: dict[str, str] = {"page": str(number), "per_page": str(PAGE_SIZE)}
    if who is not None:
        params["assignee"] = who
    params.update({k: str(v) for k, v in days.items()})
    answer = await api.get_json("collection", f"/worklists/{kind}", staff.access_token, params=params)
    return WorklistPage(
        kind,
        KINDS[kind],
        who,
        list(answer.get("items", [])),
        int(answer.get("page", number)),
        int(answer.get("per_page", PAGE_SIZE)),
        int(answer.get("total", 0)),
        answer.get("as_of"),
        days,
    )
