"""管理: every service's audit trail and its hash-chain check, batch runs, and dead-letter depths.

Each panel is shown only to a user whose roles grant it, and is fetched on its own: one service
that does not answer leaves a message in its panel, not a broken page.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from osame_console.adapters import dead_letters
from osame_console.adapters.services import ServicesClient, UpstreamError
from osame_console.adapters.store import Store
from osame_console.domain import forms
from osame_console.domain.errors import InputRefused, UserError, map_upstream
from osame_console.domain.permissions import Action, allowed, require, require_screen
from osame_console.service_layer.signin import StaffSession
from osame_console.settings import ConsoleSettings

RUNS_SHOWN = 20
ENTRIES_PER_PAGE = 50


@dataclass(frozen=True)
class Audited:
    """A service whose audit trail 管理 shows: `GET /audit` (entries) and `GET /audit/verify`."""

    service: str
    label: str
    action: Action


AUDITED: tuple[Audited, ...] = (
    Audited("receipts", "収納（receipts）", Action.RECEIPTS_AUDIT),
    Audited("refunds", "還付・充当（refunds）", Action.REFUNDS_AUDIT),
    Audited("collection", "滞納管理（collection）", Action.COLLECTION_AUDIT),
    Audited("address-sync", "宛名管理（address-sync）", Action.ADDRESS_SYNC_AUDIT),
    Audited("intermediate-server-gw", "中間サーバ連携（gateway）", Action.GATEWAY_AUDIT),
)


def audited(service: str) -> Audited:
    found = next((a for a in AUDITED if a.service == service), None)
    if found is None:
        raise UpstreamError("console", 404, None)
    return found


@dataclass
class Panel:
    """One 管理 panel: `data` when fetched, `error` when not, `unsupported` when the service has no
    such route (an older version: shown as 未対応, not as an error)."""

    data: dict | list | None = None
    error: UserError | None = None
    extra: dict = field(default_factory=dict)
    unsupported: bool = False


def _missing_route(exc: UpstreamError) -> bool:
    """A route the service does not have: 404/405 without a reason code (Starlette's own answer)."""
    return exc.status in (404, 405) and exc.code is None


async def _fetch(call) -> Panel:
    try:
        return Panel(data=await call)
    except UpstreamError as exc:
        if _missing_route(exc):
            return Panel(unsupported=True)
        return Panel(error=map_upstream(exc.status, exc.code))


async def chain(api: ServicesClient, token: str, service: str) -> Panel:
    """`GET /audit/verify` → {ok, entries, first_broken_id} (409 when broken is an answer too).
    A service without it but whose `GET /audit` reports `chain_intact` (collection before the
    shared route) is shown from that."""
    panel = await _fetch(api.get_json(service, "/audit/verify", token, accept=(409,)))
    if not panel.unsupported:
        return panel
    trail = await _fetch(api.get_json(service, "/audit", token, params={"per_page": "1"}))
    if isinstance(trail.data, dict) and "chain_intact" in trail.data:
        entries = trail.data.get("total", len(trail.data.get("entries") or []))
        broken = trail.data.get("first_broken")
        return Panel(
            data={"ok": bool(trail.data["chain_intact"]), "entries": entries, "first_broken_id": broken}
        )
    return Panel(unsupported=True) if trail.unsupported or trail.data is not None else trail


@dataclass(frozen=True)
class TrailPage:
    entries: list[dict]
    total: int
    page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // ENTRIES_PER_PAGE))


def _trail_page(answer: dict, page: int) -> TrailPage:
    """The service's page ({entries|items, total}); an older unpaged answer (the whole trail,
    oldest first) is paged here, newest first."""
    entries = list(answer.get("entries") or answer.get("items") or [])
    if isinstance(answer.get("total"), int):
        return TrailPage(entries, answer["total"], page)
    newest_first = list(reversed(entries))
    start = (page - 1) * ENTRIES_PER_PAGE
    return TrailPage(newest_first[start : start + ENTRIES_PER_PAGE], len(entries), page)


async def trail(
    api: ServicesClient, staff: StaffSession, service: str, page: int, addressee_id: str | None = None
) -> tuple[Audited, Panel, Panel]:
    """One service's audit entries (a page) and its chain check; each 未対応 when the route is missing."""
    target = audited(service)
    require(staff, target.action)
    base: dict[str, str] = {}
    if addressee_id:
        found = forms.addressee_id(addressee_id)
        if found is None:
            raise InputRefused({"addressee_id": "宛名番号は半角数字15桁以内で入力してください"})
        base["addressee_id"] = found
    # The service pages in chain order (oldest first, `page`/`per_page`); 管理 shows newest first:
    # its page 1 is the service's last page, reversed (one read of the total first).
    head = await _fetch(api.get_json(service, "/audit", staff.access_token, params={**base, "per_page": "1"}))
    total = head.data.get("total") if isinstance(head.data, dict) else None
    if not isinstance(total, int):
        if isinstance(head.data, dict):  # an older unpaged answer: the whole trail
            head.extra = {"page": _trail_page(head.data, page)}
        return target, head, await chain(api, staff.access_token, service)
    pages = max(1, -(-total // ENTRIES_PER_PAGE))
    page = min(page, pages)
    params = {**base, "page": str(pages - page + 1), "per_page": str(ENTRIES_PER_PAGE)}
    entries = await _fetch(api.get_json(service, "/audit", staff.access_token, params=params))
    if isinstance(entries.data, dict):
        newest_first = list(reversed(entries.data.get("entries") or []))
        entries.extra = {"page": TrailPage(newest_first, entries.data.get("total", total), page)}
    return target, entries, await chain(api, staff.access_token, service)


async def overview(
    api: ServicesClient,
    staff: StaffSession,
    settings: ConsoleSettings,
    store: Store,
) -> dict[str, Panel]:
    require_screen(staff, "admin")
    token = staff.access_token
    panels: dict[str, Panel] = {}
    for target in AUDITED:
        if allowed(staff, target.action):
            panels[target.service] = await chain(api, token, target.service)
    if allowed(staff, Action.CONSOLE_AUDIT):
        verification = await store.verify_audit()
        panels["console"] = Panel(
            data={
                "ok": verification.ok,
                "entries": verification.entries,
                "first_broken_id": verification.first_broken_id,
            },
            extra={"latest": await store.audit_entries(limit=50)},
        )
    if allowed(staff, Action.IMPORT_READ):
        # バッチの実行: receipts' file imports
        panel = await _fetch(
            api.get_json("receipts", "/api/import-batches", token, params={"limit": str(RUNS_SHOWN)})
        )
        if isinstance(panel.data, dict):
            panel.data = panel.data.get("items", [])
        panels["imports"] = panel
    if allowed(staff, Action.BATCH_READ):
        # バッチの実行: collection's nightly batch and 催告 runs
        panel = await _fetch(api.get_json("collection", "/batches", token, params={"limit": str(RUNS_SHOWN)}))
        if isinstance(panel.data, dict):
            panel.extra = {"total": panel.data.get("total")}
            panel.data = panel.data.get("items", [])
        panels["nightly"] = panel
    if allowed(staff, Action.DEAD_LETTERS_READ):
        panels["dead-letters"] = await _dead_letters(settings)
    return panels


async def _dead_letters(settings: ConsoleSettings) -> Panel:
    if settings.dead_letter_amqp_url is None:
        return Panel(extra={"configured": False})
    try:
        depths = await dead_letters.dead_letter_depths(
            settings.dead_letter_amqp_url.get_secret_value(),
            settings.amqp_prefix,
            ssl_context=settings.dead_letter_tls(),
        )
    except Exception:  # the broker is down or refuses the user: the panel says so
        return Panel(error=map_upstream(None), extra={"configured": True})
    return Panel(
        data=[d.__dict__ for d in depths if d.depth != 0],  # queues holding dead letters, or missing
        extra={"configured": True, "total": sum(d.depth or 0 for d in depths)},
    )
