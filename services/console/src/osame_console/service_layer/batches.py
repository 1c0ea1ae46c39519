"""夜間バッチ: start collection's nightly batch, follow it, download its letters.

The batch date is the business date (the server's); nobody types it. The batch runs in the
service (`wait: false`); the page polls its status.
"""

from __future__ import annotations

import datetime as dt

from osame_console.adapters.services import Download, ServicesClient, UpstreamError
from osame_console.domain import forms
from osame_console.domain.errors import InputRefused
from osame_console.domain.permissions import Action, allowed, require
from osame_console.service_layer.signin import StaffSession


def checked_batch_id(value: str | None) -> str:
    candidate = forms.text(value).lower()
    if not forms.BATCH_ID.match(candidate):
        raise InputRefused({"batch_id": "バッチ番号の形式が正しくありません"})
    return candidate


async def start_nightly(api: ServicesClient, staff: StaffSession, business_date: dt.date) -> str:
    require(staff, Action.BATCH_RUN)
    answer = await api.post_json(
        "collection",
        "/batches/nightly",
        staff.access_token,
        {"batch_date": business_date.isoformat(), "wait": False},
    )
    return checked_batch_id(answer.get("batch_id"))


async def status(api: ServicesClient, staff: StaffSession, batch_id: str) -> dict:
    require(staff, Action.BATCH_READ)
    return await api.get_json("collection", f"/batches/{checked_batch_id(batch_id)}", staff.access_token)


async def view(api: ServicesClient, staff: StaffSession, batch_id: str) -> dict:
    """The batch's status; once done, also how many letters it produced and how many are held
    (支援措置, 死亡, 宛先不明: not mailed until someone decides), when the user may read letters."""
    found = await status(api, staff, batch_id)
    if found.get("status") == "done" and allowed(staff, Action.LETTERS_READ):
        csv = await letters(api, staff, batch_id, "csv")
        found["letters"] = {
            "ready": _count(csv.headers.get("x-osame-letters")),
            "held": _count(csv.headers.get("x-osame-held")),
        }
    return found


def _count(value: str | None) -> int | None:
    return int(value) if value is not None and value.isdigit() else None


async def letters(api: ServicesClient, staff: StaffSession, batch_id: str, kind: str) -> Download:
    """The print-vendor file (`csv`) or the rendered sample (`pdf`) of a batch's letters."""
    require(staff, Action.LETTERS_READ)
    path = {"csv": "letters.csv", "pdf": "sample.pdf"}[kind]
    return await api.download(
        "collection", f"/batches/{checked_batch_id(batch_id)}/{path}", staff.access_token
    )


RUNS_PER_PAGE = 20


async def runs(api: ServicesClient, staff: StaffSession, page: int) -> dict | None:
    """collection's runs, newest first ({total, items, page, pages}); None when collection has no
    list of its runs (an older version: the page says 未対応 and offers the lookup by id)."""
    require(staff, Action.BATCH_READ)
    params = {"limit": str(RUNS_PER_PAGE), "offset": str((page - 1) * RUNS_PER_PAGE)}
    try:
        found = await api.get_json("collection", "/batches", staff.access_token, params=params)
    except UpstreamError as exc:
        if exc.status in (404, 405) and exc.code is None:
            return None
        raise
    total = int(found.get("total") or 0)
    return {
        "items": found.get("items", []),
        "total": total,
        "page": page,
        "pages": max(1, -(-total // RUNS_PER_PAGE)),
    }
