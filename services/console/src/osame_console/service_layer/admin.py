"""管理: audit trails and their hash-chain checks, and dead-letter depths.

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
from osame_console.domain.permissions import Action, allowed, require_screen
from osame_console.service_layer.signin import StaffSession
from osame_console.settings import ConsoleSettings

RUNS_SHOWN = 20


@dataclass
class Panel:
    """One 管理 panel: `data` when fetched, `error` when not."""

    data: dict | list | None = None
    error: UserError | None = None
    extra: dict = field(default_factory=dict)


async def _fetch(call) -> Panel:
    try:
        return Panel(data=await call)
    except UpstreamError as exc:
        return Panel(error=map_upstream(exc.status, exc.code))


async def overview(
    api: ServicesClient,
    staff: StaffSession,
    settings: ConsoleSettings,
    store: Store,
    audit_addressee_id: str | None = None,
) -> dict[str, Panel]:
    require_screen(staff, "admin")
    token = staff.access_token
    panels: dict[str, Panel] = {}
    if allowed(staff, Action.COLLECTION_AUDIT):
        params = {}
        if audit_addressee_id:
            found = forms.addressee_id(audit_addressee_id)
            if found is None:
                raise InputRefused({"addressee_id": "宛名番号は半角数字15桁以内で入力してください"})
            params["addressee_id"] = found
        panel = await _fetch(api.get_json("collection", "/audit", token, params=params))
        if isinstance(panel.data, dict):
            entries = panel.data.get("entries") or []
            panel.extra = {"total": len(entries), "latest": list(reversed(entries[-100:]))}
        panels["collection"] = panel
    if allowed(staff, Action.ADDRESS_SYNC_AUDIT):
        panels["address-sync"] = await _fetch(
            api.get_json("address-sync", "/audit/verify", token, accept=(409,))
        )
    if allowed(staff, Action.GATEWAY_AUDIT):
        panels["intermediate-server-gw"] = await _fetch(
            api.get_json("intermediate-server-gw", "/audit/verify", token, accept=(409,))
        )
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
        # バッチの実行: receipts' file imports (collection has no list of its nightly runs yet).
        panel = await _fetch(
            api.get_json("receipts", "/api/import-batches", token, params={"limit": str(RUNS_SHOWN)})
        )
        if isinstance(panel.data, dict):
            panel.data = panel.data.get("items", [])
        panels["imports"] = panel
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
