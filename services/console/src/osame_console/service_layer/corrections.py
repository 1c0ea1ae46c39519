"""収納訂正 (receipt correction) with a second approver, over receipts' API.

A 収納担当 finds the receipt by its 通知書番号 (`GET /api/receipts?notice_number=`), proposes a
reversal (取消) or a move (移動: to another 通知書/期別) with a reason (`POST /api/corrections`);
another staff member approves or refuses it (`POST /api/corrections/{id}/approve|reject`).
receipts refuses the proposer as approver (shown as 決裁できません) whatever the roles say, and
checks every rule (which receipts may be corrected, the target exists, one pending per receipt);
the console checks the shape of what was typed and its permission before any call.
"""

from __future__ import annotations

from dataclasses import dataclass

from osame_console.adapters.services import ServicesClient
from osame_console.domain import forms
from osame_console.domain.errors import InputRefused
from osame_console.domain.permissions import Action, require
from osame_console.service_layer.receipts import NOTICE_NUMBER, checked_id
from osame_console.service_layer.signin import StaffSession

STATUSES = ("pending", "approved", "rejected", "all")
KINDS = ("reverse", "move")
PER_PAGE = 20
REASON_MAX = 200
# what receipts will not correct (the rules are receipts'; the console only hides the link)
NOT_CORRECTABLE_CHANNELS = ("appropriation", "security_instrument")


@dataclass(frozen=True)
class Listing:
    status: str
    page: int
    total: int
    items: list[dict]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PER_PAGE))


def parse_listing(query) -> tuple[str, int]:
    status = forms.optional(query.get("status")) or "pending"
    if status not in STATUSES:
        raise InputRefused({"status": "状態は選択肢から選んでください"})
    return status, forms.page_number(query)


async def listing(api: ServicesClient, staff: StaffSession, status: str, page: int) -> Listing:
    """One page of corrections in a status (pending oldest first; decided newest first)."""
    require(staff, Action.CORRECTION_READ)
    params = {"status": status, "limit": str(PER_PAGE), "offset": str((page - 1) * PER_PAGE)}
    found = await api.get_json("receipts", "/api/corrections", staff.access_token, params=params)
    return Listing(status, page, int(found.get("total") or 0), found.get("items", []))


def checked_notice(value: str | None) -> str:
    notice = forms.text(value)
    if not notice:
        raise InputRefused({"notice_number": "通知書番号を入力してください"})
    if not NOTICE_NUMBER.match(notice):
        raise InputRefused({"notice_number": "通知書番号は半角英数字とハイフン20文字以内で入力してください"})
    return notice


def correctable(receipt: dict) -> bool:
    """Whether to offer 訂正を起案 (receipts decides; this only hides a link it would refuse)."""
    return (
        receipt.get("state") == "final"
        and bool(receipt.get("matched"))
        and receipt.get("channel") not in NOT_CORRECTABLE_CHANNELS
    )


async def receipts_of_notice(api: ServicesClient, staff: StaffSession, notice: str | None) -> list[dict]:
    require(staff, Action.CORRECTION_PROPOSE)
    params = {"notice_number": checked_notice(notice)}
    found = await api.get_json("receipts", "/api/receipts", staff.access_token, params=params)
    return found.get("items", [])


async def receipt(api: ServicesClient, staff: StaffSession, receipt_id: str | None) -> dict:
    require(staff, Action.CORRECTION_PROPOSE)
    path = f"/api/receipts/{checked_id(receipt_id, 'receipt_id')}"
    return await api.get_json("receipts", path, staff.access_token)


def proposal(form: dict) -> dict:
    """The form → receipts' body; each missing or malformed value named in Japanese."""
    problems: dict[str, str] = {}
    kind = forms.optional(form.get("kind"))
    if kind not in KINDS:
        problems["kind"] = "訂正の種類（取消・移動）を選んでください"
    reason = (form.get("reason") or "").strip()
    if not reason:
        problems["reason"] = "訂正の理由を入力してください"
    elif len(reason) > REASON_MAX:
        problems["reason"] = f"訂正の理由は{REASON_MAX}文字以内で入力してください"
    body = {"receipt_id": form.get("receipt_id"), "kind": kind, "reason": reason}
    if kind == "move":
        notice = forms.text(form.get("notice_number"))
        installment = forms.amount(form.get("installment_no"))
        if not notice:
            problems["notice_number"] = "移動先の通知書番号を入力してください"
        elif not NOTICE_NUMBER.match(notice):
            problems["notice_number"] = "通知書番号は半角英数字とハイフン20文字以内で入力してください"
        if installment is None:
            problems["installment_no"] = "移動先の期別を入力してください"
        elif not isinstance(installment, int) or installment < 1:
            problems["installment_no"] = "期別は1以上の半角数字で入力してください"
        body.update(notice_number=notice, installment_no=installment)
    if problems:
        raise InputRefused(problems)
    return body


async def propose(api: ServicesClient, staff: StaffSession, form: dict) -> dict:
    require(staff, Action.CORRECTION_PROPOSE)
    checked_id(form.get("receipt_id"), "receipt_id")
    return await api.post_json("receipts", "/api/corrections", staff.access_token, proposal(form))


async def decide(api: ServicesClient, staff: StaffSession, correction_id: str, step: str, form: dict) -> dict:
    """承認 (`approve`) or 却下 (`reject`, with an optional note) by a staff member other than the
    proposer (receipts refuses the proposer: 決裁できません)."""
    require(staff, Action.CORRECTION_APPROVE)
    path = f"/api/corrections/{checked_id(correction_id, 'correction_id')}/{step}"
    body: dict = {}
    if step == "reject":
        note = (form.get("note") or "").strip()
        if len(note) > REASON_MAX:
            raise InputRefused({"note": f"却下の理由は{REASON_MAX}文字以内で入力してください"})
        body = {"note": note} if note else {}
    return await api.post_json("receipts", path, staff.access_token, body)
