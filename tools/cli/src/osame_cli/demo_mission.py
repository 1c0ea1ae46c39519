"""The mission flows of `osame demo`: 住基 異動 and 名寄せ, 支援措置 on a 督促, and a refused and an
answered 情報照会 — driven through the services' own doors and checked from their own APIs.

- 住基 / 宛名管理 (`City.register`): 転入 with 個人番号, 転居, 死亡, a 取消, a 支援措置 and a 住登外者
  who moves in (同一人: the same 個人番号) go to address-sync in waves; the 名寄せ must reach
  receipts and collection.
- After collection's nightly batch, its print-vendor file (GET letters.csv) must carry the 転居's new
  address, the 取消's first address, the 住登外者's 督促 under the survivor, and neither the
  protected person's (支援措置) nor the deceased's letter; the protected person's 督促 itself must
  exist (held, not skipped).
- 財産調査: staff ask collection's API for income data of a delinquent taxpayer before the city has
  loaded its 照会許可用照合リスト (refused `not_on_permitted_query_list`, recorded), then the list is
  loaded (`osame-gateway load-permitted`) and the same request, in a trace of its own, goes collection
  → gateway → address-sync (個人番号) → the network simulator (符号, 許可証, 照会) → collection's case.
- The gateway's 情報提供等記録 of both queries is read back from its disclosure API.

Every check that fails adds a reason to `Mission.failures` (the demo then exits 1 and prints them);
nothing personal (names, 個人番号, addresses, 符号, amounts) is ever printed — only counts, steps and
reasons.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import subprocess
import sys
import time
from dataclasses import dataclass, field

import httpx
from opentelemetry import propagate

from osame_cli.city import City
from osame_cli.settle import wait_settled
from osame_cli.stack import Stack

CLIENT = 3  # SpanKind.CLIENT in OTLP
HTTP_METHOD = {"http.request.method", "http.method"}  # span attributes of an HTTP call (both semconvs)
NOT_PERMITTED = "not_on_permitted_query_list"


@dataclass
class Mission:
    """What the mission flows did, as read back from the services (no personal data)."""

    failures: list[str] = field(default_factory=list)
    letters: dict[str, int] = field(default_factory=dict)  # printed, held, …
    queries: dict[str, dict] = field(default_factory=dict)  # "refused" / "answered" → status, reason
    records: list[dict] = field(default_factory=list)  # 情報提供等記録 of both queries (step, outcome, …)
    permitted_entries: int = 0
    trace_id: str = ""
    trace_services: dict[str, int] = field(default_factory=dict)
    network_calls: int = 0  # the gateway's HTTP calls in the trace that no traced service answered
    network: dict[str, int] = field(default_factory=dict)  # the network simulator's own counts

    def check(self, ok: bool, reason: str) -> bool:
        if not ok:
            self.failures.append(reason)
        return ok


# -- 住基 / 宛名管理 --------------------------------------------------------------------------------


async def send_register(stack: Stack, bus, city: City, send_all) -> dict[str, dict]:
    """The register's three waves, each after the one before has settled; returns the last stats."""
    reg = city.register
    for message in reg.arrivals:  # in the register's order: the 支援措置 before the person's 転入
        await bus.send(message)
    arrived = {m.addressee_id for m in reg.arrivals}
    await wait_settled(
        stack, bus, lambda s: s["collection"]["addressees"] >= len(city.addressees) + len(arrived)
    )
    await send_all(bus, reg.changes)
    await wait_settled(
        stack,
        bus,
        lambda s: (
            s["address-sync"]["resident_changes"] >= reg.resident_changes - len(reg.cancellations)
            and s["collection"]["addressee_merges"] >= 1
            and s["receipts"]["addressee_merges"] >= 1
        ),
    )
    await send_all(bus, reg.cancellations)
    return await wait_settled(
        stack, bus, lambda s: s["address-sync"]["resident_changes"] >= reg.resident_changes
    )


def check_register(mission: Mission, stats: dict[str, dict], city: City) -> None:
    reg = city.register
    a = stats["address-sync"]
    mission.check(
        a["resident_changes"] == reg.resident_changes,
        f"address-sync holds {a['resident_changes']} 住基 異動, the register sent {reg.resident_changes}",
    )
    mission.check(a["merges"] >= 1, "address-sync recorded no 名寄せ for the 住登外者 who moved in")
    mission.check(a["protections"] >= 1, "address-sync recorded no 支援措置")
    mission.check(a["my_numbers"] >= reg.people - 1, "address-sync holds fewer 個人番号 than were sent")
    for service in ("receipts", "collection"):
        mission.check(
            stats[service]["addressee_merges"] >= 1,
            f"the 名寄せ did not reach {service} (addressee_merges 0)",
        )


# -- 督促 and 支援措置 ------------------------------------------------------------------------------


def _staff(stack: Stack, roles: list[str]) -> dict[str, str]:
    return {"Authorization": "Bearer " + stack.staff_token("demo-staff", roles)}


def check_letters(mission: Mission, stack: Stack, city: City, batch_id: str | None) -> None:
    """The nightly batch's print file, from collection's API: who gets a 督促 at which address."""
    reg = city.register
    if not mission.check(bool(batch_id), "the nightly batch returned no batch id"):
        return
    base = stack.services["collection"].url
    headers = _staff(stack, ["collection_staff"])
    response = httpx.get(f"{base}/batches/{batch_id}/letters.csv", headers=headers, timeout=60)
    if not mission.check(response.status_code == 200, f"letters.csv answered {response.status_code}"):
        return
    text = response.text
    rows = list(csv.DictReader(io.StringIO(text)))
    by_notice = {r["notice_number"]: r for r in rows}
    mission.letters = {
        "printed": int(response.headers.get("X-Osame-Letters", "0")),
        "held": int(response.headers.get("X-Osame-Held", "0")),
    }

    def letter_to(role: str, addressee_id: str, notice_of: str) -> None:
        row = by_notice.get(reg.notice_of(notice_of))
        mission.check(
            row is not None and row["addressee_id"] == addressee_id and row["address"] == reg.addresses[role],
            f"the {role}'s 督促 is not in the print file for its 宛名番号 at the expected address",
        )

    letter_to("mover", reg.mover, reg.mover)  # 転居: the new address
    letter_to("reverted", reg.reverted, reg.reverted)  # 取消 of the 転居: the first address again
    letter_to("survivor", reg.survivor, reg.non_resident)  # 名寄せ: the 住登外者's 督促, to the survivor
    mission.check(
        not any(old in text for old in reg.old_addresses),
        "the print file carries an address a 転居, 取消 or 名寄せ replaced",
    )
    for role, addressee_id in (("protected", reg.protected), ("deceased", reg.deceased)):
        mission.check(
            reg.notice_of(addressee_id) not in by_notice,
            f"the {role} taxpayer's 督促 was printed (it must be held)",
        )
    mission.check(reg.addresses["protected"] not in text, "the 支援措置 address is in the print file")
    # held, not skipped: the protected taxpayer's 督促 exists on the case
    case = httpx.get(
        f"{base}/cases/{reg.protected}", params={"as_of": city.day.isoformat()}, headers=headers, timeout=30
    )
    issued = case.status_code == 200 and any(
        u["notice_number"] == reg.notice_of(reg.protected) and u["demand_issued_on"]
        for u in case.json()["unpaid"]
    )
    mission.check(issued, "no 督促 was issued to the protected taxpayer (it must be issued and held)")
    mission.check(mission.letters["held"] >= 2, "collection reports fewer than two held letters")


# -- 情報照会 -------------------------------------------------------------------------------------


def _ask_income(stack: Stack, city: City, headers: dict[str, str] | None = None) -> str:
    """財産調査 income inquiry through collection's staff API (as staff would); returns its query id."""
    response = httpx.post(
        f"{stack.services['collection'].url}/cases/{city.register.mover}/inquiries",
        json={"kind": "income", "requested_on": city.day.isoformat(), "fiscal_year": city.day.year - 1},
        headers={**_staff(stack, ["collection_staff"]), **(headers or {})},
        timeout=30,
    )
    if response.status_code != 201:
        raise RuntimeError(f"collection refused the 財産調査 request: {response.status_code}")
    return response.json()["result"]


async def _inquiry_outcome(stack: Stack, city: City, query_id: str, timeout: float = 90) -> dict | None:
    """Poll collection's case view until the inquiry is no longer 'requested'."""
    base = stack.services["collection"].url
    headers = _staff(stack, ["collection_staff"])
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as client:
        while time.monotonic() < deadline:
            try:
                case = await client.get(
                    f"/cases/{city.register.mover}", params={"as_of": city.day.isoformat()}
                )
            except httpx.TimeoutException:  # a busy machine: poll again until the deadline
                continue
            if case.status_code == 200:
                found = [i for i in case.json()["inquiries"] if i["query_id"] == query_id]
                if found and found[0]["status"] != "requested":
                    return found[0]
            await asyncio.sleep(0.5)
    return None


def load_permitted_list(stack: Stack) -> str:
    """`osame-gateway load-permitted` (the shipped 第48項 list) against the gateway's store."""
    gateway = stack.services["intermediate-server-gw"]
    done = subprocess.run(
        [sys.executable, "-m", "osame_gateway", "load-permitted"],
        # as an operator: the demo's administrator token (issue 13 item 9: audited under its subject)
        env={**gateway.env, "OSAME_OPERATOR_TOKEN": stack.issuer.token("demo-operator", ["admin"])},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"load-permitted failed ({done.returncode}): {done.stderr.strip()[-300:]}")
    return done.stdout.strip()


async def run_queries(mission: Mission, stack: Stack, city: City, tracer) -> None:
    """The refused query (no list loaded yet), the list, then the lawful one in its own trace."""
    refused_id = await asyncio.to_thread(_ask_income, stack, city)
    refused = await _inquiry_outcome(stack, city, refused_id)
    mission.queries["refused"] = {"query_id": refused_id, **_outcome(refused)}
    mission.check(
        refused is not None and refused["status"] == "refused" and refused["reason"] == NOT_PERMITTED,
        f"the query before the permitted-query list was loaded was not refused as {NOT_PERMITTED} "
        f"(collection's record: {_outcome(refused)})",
    )
    await asyncio.to_thread(load_permitted_list, stack)
    with tracer.start_as_current_span("demo.income-query", attributes={"osame.purpose": "財産調査"}) as span:
        mission.trace_id = format(span.get_span_context().trace_id, "032x")
        carrier: dict[str, str] = {}
        propagate.inject(carrier)
        answered_id = await asyncio.to_thread(_ask_income, stack, city, carrier)
    answered = await _inquiry_outcome(stack, city, answered_id)
    mission.queries["answered"] = {"query_id": answered_id, **_outcome(answered)}
    detail = (answered or {}).get("detail") or {}
    if isinstance(detail, str):
        detail = json.loads(detail)
    mission.check(
        answered is not None
        and answered["status"] == "answered"
        and bool(detail.get("certificate_id"))
        and "income" in detail,
        f"the lawful income query was not answered onto the case (collection's record: {_outcome(answered)})",
    )


def _outcome(inquiry: dict | None) -> dict:
    if inquiry is None:
        return {"status": "no outcome in time", "reason": None}
    return {"status": inquiry["status"], "reason": inquiry["reason"]}


def read_records(mission: Mission, stack: Stack, city: City) -> None:
    """The 情報提供等記録 of the taxpayer, from the gateway's disclosure API (as a disclosure officer)."""
    gateway = stack.services["intermediate-server-gw"].url
    response = httpx.get(
        f"{gateway}/provision-records/{city.register.mover}",
        headers=_staff(stack, ["disclosure_officer"]),
        timeout=30,
    )
    if not mission.check(response.status_code == 200, f"provision-records answered {response.status_code}"):
        return
    ids = {q["query_id"]: name for name, q in mission.queries.items()}
    mission.records = [
        {
            "query": ids.get(r["query_id"], "other"),
            "step": r["step"],
            "outcome": r["outcome"],
            "reason": r["reason"],
            "affair": r["affair"],
            "item": r["item"],
        }
        for r in response.json()["records"]
    ]
    steps = {
        name: [(r["step"], r["outcome"]) for r in mission.records if r["query"] == name]
        for name in ids.values()
    }
    mission.check(
        steps.get("refused") == [("refusal", "refused")],
        f"the refused query's 情報提供等記録 is {steps.get('refused')}",
    )
    mission.check(
        [s for s, _ in steps.get("answered", [])][:1] == ["request"]
        and ("answer", "answered") in steps.get("answered", []),
        f"the answered query's 情報提供等記録 is {steps.get('answered')}",
    )
    permitted = httpx.get(f"{gateway}/permitted-queries", headers=_staff(stack, ["admin"]), timeout=30)
    mission.permitted_entries = (
        len(permitted.json().get("entries", [])) if permitted.status_code == 200 else 0
    )
    mission.check(mission.permitted_entries > 0, "the gateway lists no permitted queries after loading")


async def read_trace(mission: Mission, sink, simulator_url: str | None, timeout: float = 20) -> None:
    """The services the income query's trace crossed (the services export spans in batches), and the
    network simulator's own counts (it is not instrumented: in the trace its calls are the gateway's
    HTTP client spans that no traced service answered)."""
    wanted = {"osame-collection", "osame-intermediate-server-gw", "osame-address-sync"}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        mission.trace_services = sink.services_in_trace(mission.trace_id)
        if wanted <= set(mission.trace_services):
            break
        await asyncio.sleep(0.5)
    spans = [s for s in sink.snapshot() if s.trace_id == mission.trace_id]
    parents = {s.parent_span_id for s in spans}
    mission.network_calls = sum(
        1
        for s in spans
        if s.kind == CLIENT
        and s.service == "osame-intermediate-server-gw"
        and HTTP_METHOD & set(s.attributes)  # HTTP, not the gateway's database calls
        and s.span_id not in parents
    )
    mission.check(
        wanted <= set(mission.trace_services),
        f"the income query's trace misses {sorted(wanted - set(mission.trace_services))}",
    )
    mission.check(
        mission.network_calls >= 3,
        "the income query's trace shows no 符号 / 許可証 / 照会 call to the network",
    )
    if simulator_url:
        async with httpx.AsyncClient(timeout=10) as client:
            counts = (await client.get(simulator_url + "/admin/stats")).json()
        mission.network = {k: v for k, v in counts.items() if not k.startswith("requests ")}
    mission.check(
        mission.network.get("income answers produced", 0) >= 1,
        "the network simulator produced no income answer",
    )


# -- summary -------------------------------------------------------------------------------------


def summary_rows(mission: Mission, stats: dict[str, dict], city: City) -> list[tuple[str, str]]:
    """Per service, what the mission flows left in its store (its /stats) and APIs."""
    a, r, c, g = (stats[n] for n in ("address-sync", "receipts", "collection", "intermediate-server-gw"))
    kinds: dict[str, int] = {}
    for m in city.register.messages:
        kind = getattr(m, "change_kind", None)
        if kind is not None:
            kinds[kind.value] = kinds.get(kind.value, 0) + 1
    sent = ", ".join(f"{k} {v}" for k, v in sorted(kinds.items()))
    held, printed = mission.letters.get("held", 0), mission.letters.get("printed", 0)
    return [
        (
            "address-sync",
            f"住基 異動 {a['resident_changes']} recorded (sent: {sent}); 個人番号 {a['my_numbers']} sealed; "
            f"支援措置 {a['protections']}; 名寄せ {a['merges']}; 個人番号 released to the gateway "
            f"{a['my_number_releases']}",
        ),
        ("receipts", f"名寄せ applied {r['addressee_merges']}"),
        (
            "collection",
            f"名寄せ applied {c['addressee_merges']}; 督促 {c['demand_notices']}: {printed} in the print file, "
            f"{held} held (支援措置, 死亡); 財産調査 {c['asset_inquiries']}",
        ),
        (
            "intermediate-server-gw",
            f"照会許可用照合リスト {g['permitted_queries']} entries; 情報照会 {g['income_queries']}: answered "
            f"{g.get('income_queries_answered', 0)}, refused {g.get('income_queries_refused', 0)}; "
            f"符号 {g['linkage_codes']}; 情報提供等記録 {g['query_records']}",
        ),
        (
            "network simulator",
            ", ".join(f"{k} {v}" for k, v in sorted(mission.network.items())) or "no requests",
        ),
    ]


def check_figures(mission: Mission, stats: dict[str, dict]) -> None:
    """The counts the summary prints must show every flow happened (non-zero for every service)."""
    g, c = stats["intermediate-server-gw"], stats["collection"]
    mission.check(
        g.get("income_queries_answered", 0) >= 1 and g.get("income_queries_refused", 0) >= 1,
        "the gateway's store does not hold one answered and one refused income query",
    )
    mission.check(g["linkage_codes"] >= 1, "the gateway stored no 符号")
    mission.check(stats["address-sync"]["my_number_releases"] >= 1, "address-sync released no 個人番号")
    mission.check(
        c["demand_notices"] >= 1 and c["asset_inquiries"] >= 2, "collection shows no 督促 or 財産調査"
    )
