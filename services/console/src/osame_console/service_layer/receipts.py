"""収納: file imports and their results, the unmatched and suspense lists with assignment, 日計.

Over receipts' API (`/api/...`). Each use case checks the permission first (no call when
refused), then calls with the staff member's own token; receipts enforces it again, checks every
date against its business date and answers located errors. The console sends no business date:
an omitted 収入日 for 日計 is receipts' own today.

receipts imports a file within the request (there is no batch "in progress" to poll): the upload
page shows the upload's progress and then the batch's result page (`GET /api/import-batches/{id}`).
The unmatched list is searched, paged and counted by receipts; one item is read by its id.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath

from osame_console.adapters.services import ServicesClient, UpstreamError
from osame_console.domain import forms
from osame_console.domain.errors import InputRefused
from osame_console.domain.permissions import Action, Staff, allowed, require
from osame_console.service_layer.signin import StaffSession

RECEIPTS_ID = re.compile(r"^[0-9A-Za-z-]{1,36}$")  # receipts' ids (uuid text)
NOTICE_NUMBER = re.compile(r"^[0-9A-Za-z-]{1,20}$")
ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
FILE_NAME = re.compile(r"[^0-9A-Za-z._-]")

# kind → (receipts' import kind, what the clerk chooses)
IMPORT_KINDS: dict[str, str] = {
    "zengin-result": "口座振替結果（全銀フォーマット）",
    "cvs": "コンビニ収納（速報・確報）",
    "ocr": "金融機関窓口（OCR）",
    "mpn": "マルチペイメント（ペイジー）",
}
SUSPENSE_STATUSES = ("held", "resolved", "returned", "all")


@dataclass(frozen=True)
class Tab:
    key: str
    label: str
    path: str
    action: Action


TABS: tuple[Tab, ...] = (
    Tab("import", "ファイル取込", "/receipts", Action.IMPORT_RUN),
    Tab("batches", "取込履歴", "/receipts/imports", Action.IMPORT_READ),
    Tab("unmatched", "未消込", "/receipts/unmatched", Action.UNMATCHED_READ),
    Tab("suspense", "保留（サスペンス）", "/receipts/suspense", Action.SUSPENSE_READ),
    Tab("daily", "日計", "/receipts/daily", Action.DAILY_TOTALS_READ),
    Tab("corrections", "収納訂正", "/receipts/corrections", Action.CORRECTION_READ),
)


def tabs_for(staff: Staff) -> list[Tab]:
    return [t for t in TABS if allowed(staff, t.action)]


def checked_id(value: str | None, field: str) -> str:
    if value is None or not RECEIPTS_ID.match(value):
        raise InputRefused({field: "番号の形式が正しくありません"})
    return value


def safe_file_name(name: str | None, kind: str) -> str:
    """The uploaded file's own name without its folder, in the characters receipts keeps
    (it is shown in the located errors and the 日計); a name with none left becomes upload.<kind>."""
    base = PureWindowsPath(PurePosixPath(name or "").name).name
    base = FILE_NAME.sub("_", unicodedata.normalize("NFKC", base))[:120].strip("._")
    return base or f"upload.{kind}"


# -- ファイル取込 ------------------------------------------------------------------------------------


async def import_file(
    api: ServicesClient,
    staff: StaffSession,
    kind: str | None,
    name: str | None,
    data: bytes | None,
    timeout: float | None = None,
) -> tuple[str, bool]:
    """Send one file to receipts; (the batch to show, whether the same bytes were imported before).

    A refused file (broken structure, trailer mismatch) is answered 422 with its report and is a
    batch too: the result page shows its located errors."""
    require(staff, Action.IMPORT_RUN)
    problems = {}
    if kind not in IMPORT_KINDS:
        problems["kind"] = "ファイルの種類を選んでください"
    if not data:
        problems["file"] = "取り込むファイルを選んでください"
    elif len(data) > MAX_UPLOAD_BYTES:
        problems["file"] = f"ファイルが大きすぎます（{MAX_UPLOAD_BYTES // 1024 // 1024}MBまで）"
    if problems:
        raise InputRefused(problems)
    status, report = await api.post_file(
        "receipts",
        f"/api/imports/{kind}",
        staff.access_token,
        data,
        params={"file": safe_file_name(name, kind)},
        accept=(202, 422),
        timeout=timeout,
    )
    if not isinstance(report, dict):
        raise UpstreamError("receipts", status, None)
    batch_id = report.get("previous_batch_id") or report.get("batch_id")
    if not batch_id:  # a refusal before any batch (e.g. the kind): {"error": sentence}
        raise UpstreamError("receipts", status, report.get("error"))
    return checked_id(batch_id, "batch_id"), report.get("status") == "already_imported"


async def import_batch(api: ServicesClient, staff: StaffSession, batch_id: str) -> dict:
    require(staff, Action.IMPORT_READ)
    return await api.get_json(
        "receipts", f"/api/import-batches/{checked_id(batch_id, 'batch_id')}", staff.access_token
    )


BATCH_STATUSES = ("applied", "held", "refused")


def parse_batch_search(query) -> dict[str, str]:
    """取込履歴's filters: a channel and a result, as receipts takes them."""
    problems, found = {}, {}
    channel = forms.optional(query.get("channel"))
    if channel is not None:
        if not re.match(r"^[a-z_]{1,30}$", channel):
            problems["channel"] = "収納経路は選択肢から選んでください"
        found["channel"] = channel
    status = forms.optional(query.get("status"))
    if status is not None:
        if status not in BATCH_STATUSES:
            problems["status"] = "結果は選択肢から選んでください"
        found["status"] = status
    if problems:
        raise InputRefused(problems)
    return found


async def import_batches(api: ServicesClient, staff: StaffSession, search: dict[str, str]) -> list[dict]:
    """The newest 100 imports (receipts filters them by channel and result)."""
    require(staff, Action.IMPORT_READ)
    params = {"limit": "100", **search}
    found = await api.get_json("receipts", "/api/import-batches", staff.access_token, params=params)
    return found.get("items", [])


# -- 未消込・保留 -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Search:
    """What the clerk searched the unmatched or suspense list by (ids, a channel, dates)."""

    channel: str | None = None
    notice_number: str | None = None
    batch_id: str | None = None
    paid_from: str | None = None
    paid_to: str | None = None
    status: str = "held"

    def as_form(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v}


def parse_search(query) -> Search:
    """The search form (GET: ids, codes and dates only); each malformed value named in Japanese."""
    problems: dict[str, str] = {}
    notice = forms.optional(query.get("notice_number"))
    if notice is not None and not NOTICE_NUMBER.match(notice):
        problems["notice_number"] = "通知書番号は半角英数字とハイフン20文字以内で入力してください"
    batch = forms.optional(query.get("batch_id"))
    if batch is not None and not RECEIPTS_ID.match(batch):
        problems["batch_id"] = "取込番号の形式が正しくありません"
    channel = forms.optional(query.get("channel"))
    if channel is not None and not re.match(r"^[a-z_]{1,30}$", channel):
        problems["channel"] = "収納経路は選択肢から選んでください"
    dates = {}
    for name, label in (("paid_from", "領収日（から）"), ("paid_to", "領収日（まで）")):
        value = forms.optional(query.get(name))
        if value is not None and not ISO_DATE.match(value):
            problems[name] = f"{label}を正しい日付で入力してください（例: 2026-07-10）"
        dates[name] = value
    status = forms.optional(query.get("status")) or "held"
    if status not in SUSPENSE_STATUSES:
        problems["status"] = "状態は選択肢から選んでください"
    if problems:
        raise InputRefused(problems)
    return Search(channel, notice, batch, dates["paid_from"], dates["paid_to"], status)


UNMATCHED_PER_PAGE = 50


@dataclass(frozen=True)
class Page:
    """One page of a list receipts searched and counted."""

    rows: list[dict]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


async def unmatched(api: ServicesClient, staff: StaffSession, search: Search, page: int = 1) -> Page:
    """receipts searches and pages the unmatched list (oldest first) and counts what matched."""
    require(staff, Action.UNMATCHED_READ)
    params = {"limit": str(UNMATCHED_PER_PAGE), "offset": str((page - 1) * UNMATCHED_PER_PAGE)}
    for name in ("channel", "batch_id", "notice_number", "paid_from", "paid_to"):
        if getattr(search, name):
            params[name] = getattr(search, name)
    found = await api.get_json("receipts", "/api/unmatched", staff.access_token, params=params)
    rows = found.get("items", [])
    return Page(rows, int(found.get("total", len(rows))), page, UNMATCHED_PER_PAGE)


async def unmatched_item(api: ServicesClient, staff: StaffSession, receipt_id: str) -> dict:
    """One unmatched receipt (404 `no unmatched receipt with this id` once it is assigned)."""
    require(staff, Action.UNMATCHED_READ)
    path = f"/api/unmatched/{checked_id(receipt_id, 'receipt_id')}"
    return await api.get_json("receipts", path, staff.access_token)


async def suspense_item(api: ServicesClient, staff: StaffSession, suspense_id: str) -> dict:
    """One held item; one already resolved or returned is answered as receipts' 404 for a step."""
    require(staff, Action.SUSPENSE_READ)
    path = f"/api/suspense/{checked_id(suspense_id, 'suspense_id')}"
    item = await api.get_json("receipts", path, staff.access_token)
    if item.get("status") != "held":
        raise UpstreamError("receipts", 404, "no held suspense item with this id")
    return item


async def suspense(api: ServicesClient, staff: StaffSession, search: Search) -> list[dict]:
    require(staff, Action.SUSPENSE_READ)
    params = {"status": search.status, "limit": "500"}
    for name in ("channel", "batch_id", "notice_number", "paid_from", "paid_to"):
        if getattr(search, name):
            params[name] = getattr(search, name)
    found = await api.get_json("receipts", "/api/suspense", staff.access_token, params=params)
    return found.get("items", [])


def _target(form: dict) -> dict:
    """通知書番号 and 期別 as receipts takes them; receipts names a missing or wrong one."""
    problems = {}
    notice = forms.text(form.get("notice_number"))
    if not notice:
        problems["notice_number"] = "通知書番号を入力してください"
    installment = forms.amount(form.get("installment_no"))
    if installment is None:
        problems["installment_no"] = "期別を入力してください"
    elif not isinstance(installment, int):
        problems["installment_no"] = "期別は半角数字で入力してください"
    if problems:
        raise InputRefused(problems)
    return {"notice_number": notice, "installment_no": installment}


async def assign(api: ServicesClient, staff: StaffSession, receipt_id: str, form: dict) -> dict:
    """消込: an unmatched receipt to 通知書/期別 (receipts applies it in its order)."""
    require(staff, Action.UNMATCHED_ASSIGN)
    return await api.post_json(
        "receipts",
        f"/api/unmatched/{checked_id(receipt_id, 'receipt_id')}/assign",
        staff.access_token,
        _target(form),
    )


async def resolve(api: ServicesClient, staff: StaffSession, suspense_id: str, form: dict) -> dict:
    """A held item to 通知書/期別, with what the record could not give (amount, 領収日/収入日) if typed;
    what the record did give cannot be overridden (receipts refuses a different amount)."""
    require(staff, Action.SUSPENSE_RESOLVE)
    body = _target(form)
    amount = forms.amount(form.get("amount"))
    if amount is not None:
        if not isinstance(amount, int):
            raise InputRefused({"amount": "金額は半角数字で入力してください"})
        body["amount"] = amount
    for name in ("paid_on", "booked_on"):  # receipts checks them against its business date
        if (day := forms.optional(form.get(name))) is not None:
            body[name] = day
    return await api.post_json(
        "receipts",
        f"/api/suspense/{checked_id(suspense_id, 'suspense_id')}/resolve",
        staff.access_token,
        body,
    )


# -- 日計 -------------------------------------------------------------------------------------------


async def daily_totals(api: ServicesClient, staff: StaffSession, booked_on: str | None) -> dict:
    require(staff, Action.DAILY_TOTALS_READ)
    day = forms.optional(booked_on)
    if day is not None and not ISO_DATE.match(day):
        raise InputRefused({"booked_on": "収入日を正しい日付で入力してください（例: 2026-07-10）"})
    params = {"booked_on": day} if day else None
    return await api.get_json("receipts", "/api/daily-totals", staff.access_token, params=params)


async def return_money(api: ServicesClient, staff: StaffSession, suspense_id: str, form: dict) -> dict:
    """A held item that belongs to no 通知書 (paid to the wrong city, a double payment returned by
    the bank …) is closed as returned, with a note of where the money went; nothing is booked."""
    require(staff, Action.SUSPENSE_RESOLVE)
    note = forms.text(form.get("note"))
    if not note:
        raise InputRefused({"note": "処理内容（返還先・理由）を入力してください"})
    if len(note) > 200:
        raise InputRefused({"note": "処理内容は200文字以内で入力してください"})
    return await api.post_json(
        "receipts",
        f"/api/suspense/{checked_id(suspense_id, 'suspense_id')}/return",
        staff.access_token,
        {"note": note},
    )
