"""還付・充当: the queues, a refund's 起案 and 決裁, an overpayment's explanation, the downloads.

Over refunds' API. Each use case checks the permission first (no call when refused), then calls
with the staff member's own token; refunds enforces the permission again and, for the approval,
the separation of duties (the preparer may not approve: its 403 is shown as 決裁できません). The
approval's 支出決定日 is refunds' business date: the console sends no date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from osame_console.adapters.services import Download, ServicesClient
from osame_console.domain.errors import InputRefused
from osame_console.domain.permissions import Action, Staff, allowed, require
from osame_console.service_layer.signin import StaffSession

PAGE_SIZE = 20
MAX_PAGE = 10_000
REFUNDS_ID = re.compile(r"^[0-9A-Za-z-]{1,36}$")  # refunds' own id rule (its routes' pattern)


@dataclass(frozen=True)
class Queue:
    """One tab of the 還付・充当 screen: what it lists, from which refunds route, with which right."""

    key: str
    label: str
    action: Action
    path: str
    params: tuple[tuple[str, str], ...] = ()


QUEUES: tuple[Queue, ...] = (
    Queue("to_prepare", "起案待ちの還付", Action.REFUND_READ, "/refunds", (("stage", "to_prepare"),)),
    Queue("to_approve", "決裁待ちの還付", Action.REFUND_READ, "/refunds", (("stage", "to_approve"),)),
    Queue("to_pay", "支払待ちの還付", Action.REFUND_READ, "/refunds", (("stage", "to_pay"),)),
    Queue("planned", "充当予定", Action.APPROPRIATION_READ, "/appropriations", (("status", "requested"),)),
    Queue("overpayments", "過誤納金", Action.OVERPAYMENT_READ, "/overpayments"),
    Queue("payouts", "総合振込ファイル", Action.PAYOUT_READ, "/payouts"),
    Queue("returned", "振込不能（返却）", Action.PAYOUT_READ, "/transfers/returned"),
)
UNPAGED = {"payouts"}  # refunds lists its payout files whole (one a business day at most)


def queues_for(staff: Staff) -> list[Queue]:
    return [q for q in QUEUES if allowed(staff, q.action)]


def checked_id(value: str | None, field: str) -> str:
    if value is None or not REFUNDS_ID.match(value):
        raise InputRefused({field: "番号の形式が正しくありません"})
    return value


def checked_page(value: str | None) -> int:
    if value in (None, ""):
        return 0
    if not value.isdigit() or int(value) >= MAX_PAGE:
        raise InputRefused({"page": "ページは0以上の半角数字で指定してください"})
    return int(value)


@dataclass(frozen=True)
class QueuePage:
    queue: Queue
    rows: list[dict]
    page: int
    has_next: bool


async def queue(api: ServicesClient, staff: StaffSession, key: str | None, page: str | None) -> QueuePage:
    """One page of a queue; without a key, the first queue the user may open."""
    visible = queues_for(staff)
    if key in (None, ""):
        if not visible:
            require(staff, Action.REFUND_READ)  # raises: the user may open none of them
        chosen = visible[0]
    else:
        chosen = next((q for q in QUEUES if q.key == key), None)
        if chosen is None:
            raise InputRefused({"view": "一覧の種類が正しくありません"})
        require(staff, chosen.action)
    number = checked_page(page)
    params = dict(chosen.params)
    if chosen.key not in UNPAGED:
        # One row more than shown tells whether there is a next page.
        params.update(limit=str(PAGE_SIZE + 1), offset=str(number * PAGE_SIZE))
    rows = await api.get_json("refunds", chosen.path, staff.access_token, params=params)
    if chosen.key in UNPAGED:
        rows = list(reversed(rows))  # newest file first
        return QueuePage(
            chosen,
            rows[number * PAGE_SIZE : (number + 1) * PAGE_SIZE],
            number,
            len(rows) > (number + 1) * PAGE_SIZE,
        )
    return QueuePage(chosen, rows[:PAGE_SIZE], number, len(rows) > PAGE_SIZE)


def may_act(staff: Staff, refund: dict) -> dict[str, bool]:
    """Which buttons the refund page shows this user (refunds decides again on each)."""
    pending = refund.get("status") == "pending_approval"
    prepared = bool(refund.get("prepared_by"))
    return {
        "prepare": pending and not prepared and allowed(staff, Action.REFUND_PREPARE),
        "approve": pending and prepared and allowed(staff, Action.REFUND_APPROVE),
        "notice": bool(refund.get("decided_on"))
        and refund.get("status") != "cancelled"
        and allowed(staff, Action.NOTICE_READ),
        "overpayment": allowed(staff, Action.OVERPAYMENT_READ),
    }


async def refund(api: ServicesClient, staff: StaffSession, refund_id: str) -> dict:
    require(staff, Action.REFUND_READ)
    return await api.get_json("refunds", f"/refunds/{checked_id(refund_id, 'refund_id')}", staff.access_token)


async def overpayment(api: ServicesClient, staff: StaffSession, overpayment_id: str) -> dict:
    require(staff, Action.OVERPAYMENT_READ)
    return await api.get_json(
        "refunds", f"/overpayments/{checked_id(overpayment_id, 'overpayment_id')}", staff.access_token
    )


# step → (permission, refunds path below /refunds/{id}, the message once done)
STEPS: dict[str, tuple[Action, str, str]] = {
    "prepare": (Action.REFUND_PREPARE, "prepare", "起案しました。決裁は別の職員が行います。"),
    "approve": (Action.REFUND_APPROVE, "approve", "決裁しました（支出決定）。還付加算金が確定しました。"),
}


async def act(api: ServicesClient, staff: StaffSession, refund_id: str, step: str) -> dict:
    """起案 or 決裁 of one refund, as the signed-in staff member (refunds takes them from the token)."""
    action, path, _ = STEPS[step]
    require(staff, action)
    return await api.post_json(
        "refunds", f"/refunds/{checked_id(refund_id, 'refund_id')}/{path}", staff.access_token, {}
    )


# what → (permission, refunds path, the file name the browser saves)
DOWNLOADS: dict[str, tuple[Action, str, str]] = {
    "refund-notice": (Action.NOTICE_READ, "/refunds/{id}/notice.pdf", "還付通知書-{id}.pdf"),
    "appropriation-notice": (Action.NOTICE_READ, "/appropriations/{id}/notice.pdf", "充当通知書-{id}.pdf"),
    "payout-file": (Action.PAYOUT_READ, "/payouts/{id}/file", "総合振込-{id}.txt"),
}


async def download(api: ServicesClient, staff: StaffSession, what: str, item_id: str) -> tuple[Download, str]:
    """A notice PDF or a payout (全銀 総合振込) file, and the name to save it under."""
    action, path, name = DOWNLOADS[what]
    require(staff, action)
    checked = checked_id(item_id, "id")
    found = await api.download("refunds", path.format(id=checked), staff.access_token)
    return found, name.format(id=checked)
