"""Turning what a person typed into what a service's API takes, without deciding for the service.

The console only normalises the shape (全角 digits, separators, blanks); every rule about the
values (dates against the business date, amounts, allowed kinds) is the owning service's, and its
refusal comes back as a located message (`domain.errors`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

from osame_console.domain.errors import InputRefused

ADDRESSEE_ID = re.compile(r"^[0-9]{1,15}$")
BATCH_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def text(value: str | None) -> str:
    """NFKC-normalised (全角英数 → 半角), trimmed."""
    return unicodedata.normalize("NFKC", value or "").strip()


def addressee_id(value: str | None) -> str | None:
    """A 宛名番号 as typed (全角 digits allowed), or None when it is not one."""
    candidate = text(value)
    return candidate if ADDRESSEE_ID.match(candidate) else None


def amount(value: str | None) -> int | str | None:
    """'１，２３４円' → 1234; None when blank; the text itself when it is not a number (the service
    then names the field)."""
    candidate = text(value).replace(",", "").replace("¥", "").removesuffix("円").strip()
    if not candidate:
        return None
    return int(candidate) if candidate.isdigit() else candidate


def optional(value: str | None) -> str | None:
    candidate = text(value)
    return candidate or None


def schedule(form: Mapping[str, str], rows: int) -> list[dict]:
    """分納計画 rows `schedule.N.due_on` / `schedule.N.amount`. Trailing blank rows are dropped; a
    blank row between filled ones is kept, so the service's `schedule.N.*` error names the row
    the person sees."""
    out = [
        {
            "due_on": optional(form.get(f"schedule.{n}.due_on")),
            "amount": amount(form.get(f"schedule.{n}.amount")),
        }
        for n in range(rows)
    ]
    while out and out[-1] == {"due_on": None, "amount": None}:
        out.pop()
    return out


def page_number(query: Mapping[str, str]) -> int:
    """`?page=` of a paged list: 1 when absent; anything else not 1..100000 is refused, named."""
    page = text(query.get("page")) or "1"
    if not page.isdigit() or not 1 <= int(page) <= 100_000:
        raise InputRefused({"page": "ページは1以上の半角数字で指定してください"})
    return int(page)
