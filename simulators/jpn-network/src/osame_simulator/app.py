"""HTTP API of the simulator (Starlette). All state is in memory, per process.

Endpoints (JSON bodies; errors are `{"error": code}`; no 個人番号 is ever logged or echoed):

| method path | body → answer |
|---|---|
| POST /linkage-codes | `{agency_code, individual_number}` → `{linkage_code}`; 400 `invalid_individual_number` |
| POST /certificates | `{agency_code, linkage_code, affair, item, request_id}` → `{certificate_id, provider, issued_at, expires_at}`; 403 `not_permitted`, 404 `unknown_linkage_code` |
| POST /income-queries | `{request_id, certificate_id, linkage_code, fiscal_year}` → `{request_id, status: answered/no_data, provider, fiscal_year, income}`; 403 `certificate_expired` / `certificate_mismatch`, 404 `unknown_certificate` |
| GET /income-queries/{request_id} | the stored answer (late answers), 404 `unknown_request` |
| POST /admin/faults | `{fault, count, path}` queue a fault for the next `count` requests to `path` (prefix) |
| DELETE /admin/faults | clear queued faults |
| PUT /admin/permitted | `[{affair, item, provider}]` replace the network's permitted-query list |
| POST /admin/seed | `[{individual_number, fiscal_year, total_income, …}]` add income records |
| GET /admin/stats | request and answer counts |
| GET /healthz | `{"status": "ok"}` |

A fault is `latency=<ms>`, `timeout` (answer is produced and stored, then the response is held
for `timeout_seconds`: the caller gives up and must fetch it again), `error=<status>`,
`malformed`, `no-data`; several may be combined with commas. The `X-Sim-Fault` header applies one
to a single request.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import json
import logging
import secrets
import uuid
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from osame_simulator.linkage import is_valid_my_number, linkage_code, person_key

log = logging.getLogger("osame.simulator")

INCOME_FIELDS = (
    "total_income",
    "salary_revenue",
    "business_income",
    "taxable_income",
    "municipal_income_levy",
)
DEFAULT_PERMITTED = [
    {
        "affair": "local_tax_assessment_collection",
        "item": "income",
        "provider": "他市町村長 (地方税関係情報)",
    }
]


class SimulatorSettings(BaseSettings):
    """`OSAME_SIMULATOR_*` settings."""

    model_config = SettingsConfigDict(env_prefix="OSAME_SIMULATOR_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8190
    secret: str = Field(default="osame-simulator-development-secret", description="HMAC key of the 符号")
    certificate_ttl_seconds: int = Field(default=600, ge=1)
    timeout_seconds: float = Field(default=30.0, description="How long a 'timeout' fault holds the response")
    seed_file: Path | None = Field(default=None, description="CSV of income records (see seed_from_csv)")
    synthetic_income: bool = Field(
        default=True, description="Answer deterministic synthetic income for unseeded people (demo)"
    )
    no_data_ratio: float = Field(
        default=0.1, ge=0, le=1, description="Share of synthetic people with no data"
    )


@dataclass
class Fault:
    latency_ms: int = 0
    timeout: bool = False
    error: int | None = None
    malformed: bool = False
    no_data: bool = False

    @classmethod
    def parse(cls, text: str) -> Fault:
        fault = cls()
        for part in (p.strip() for p in text.split(",") if p.strip()):
            name, _, value = part.partition("=")
            if name == "latency":
                fault.latency_ms = int(value or 0)
            elif name == "timeout":
                fault.timeout = True
            elif name == "error":
                fault.error = int(value or 503)
            elif name == "malformed":
                fault.malformed = True
            elif name in ("no-data", "no_data"):
                fault.no_data = True
            else:
                raise ValueError(f"unknown fault {name!r}")
        return fault


@dataclass
class State:
    settings: SimulatorSettings
    income: dict[tuple[str, int], dict] = field(default_factory=dict)  # (person key, year) → figures
    codes: dict[str, str] = field(default_factory=dict)  # linkage code → person key
    certificates: dict[str, dict] = field(default_factory=dict)
    answers: dict[str, dict] = field(default_factory=dict)  # request_id → answer
    permitted: list[dict] = field(default_factory=lambda: [dict(p) for p in DEFAULT_PERMITTED])
    faults: deque = field(default_factory=deque)  # (path prefix, Fault, remaining)
    counts: Counter = field(default_factory=Counter)

    @property
    def secret(self) -> bytes:
        return self.settings.secret.encode()

    def seed(self, records: list[dict]) -> int:
        for r in records:
            number = str(r["individual_number"])
            if not is_valid_my_number(number):
                raise ValueError("invalid individual_number in seed")
            self.income[(person_key(self.secret, number), int(r["fiscal_year"]))] = {
                k: int(r[k]) for k in INCOME_FIELDS
            }
        return len(records)

    def income_for(self, key: str, year: int) -> dict | None:
        if (key, year) in self.income:
            return self.income[(key, year)]
        if not self.settings.synthetic_income:
            return None
        h = int(hashlib.sha256(f"{key}:{year}".encode()).hexdigest(), 16)
        if (h % 1000) / 1000 < self.settings.no_data_ratio:
            return None
        salary = 1_500_000 + (h >> 10) % 6_000 * 1_000
        business = (h >> 30) % 3 * ((h >> 40) % 2_000 * 1_000)
        total = max(salary - 550_000, 0) + business
        taxable = max(total - 430_000 - (h >> 50) % 800 * 1_000, 0) // 1000 * 1000
        return {
            "total_income": total,
            "salary_revenue": salary,
            "business_income": business,
            "taxable_income": taxable,
            "municipal_income_levy": taxable * 6 // 100 // 100 * 100,
        }

    def take_fault(self, path: str) -> Fault | None:
        for i, (prefix, fault, remaining) in enumerate(self.faults):
            if path.startswith(prefix):
                if remaining <= 1:
                    del self.faults[i]
                else:
                    self.faults[i] = (prefix, fault, remaining - 1)
                return fault
        return None


def seed_from_csv(path: Path) -> list[dict]:
    """Rows: individual_number,fiscal_year,total_income,salary_revenue,business_income,taxable_income,municipal_income_levy."""
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _error(code: str, status: int) -> JSONResponse:
    return JSONResponse({"error": code}, status_code=status)


async def _body(request: Request, *names: str) -> dict:
    try:
        data = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        data = None
    if not isinstance(data, dict) or any(n not in data for n in names):
        raise _BadRequest
    return data


class _BadRequest(Exception):
    pass


def build_app(settings: SimulatorSettings | None = None) -> Starlette:
    settings = settings or SimulatorSettings()
    state = State(settings)
    if settings.seed_file is not None:
        state.seed(seed_from_csv(settings.seed_file))

    def faulted(endpoint):
        async def run(request: Request) -> Response:
            path = request.url.path
            state.counts[f"requests {request.method} {path.split('/')[1]}"] += 1
            header = request.headers.get("x-sim-fault")
            try:
                fault = Fault.parse(header) if header else state.take_fault(path)
            except ValueError:
                return _error("unknown_fault", 400)
            fault = fault or Fault()
            if fault.latency_ms:
                await asyncio.sleep(fault.latency_ms / 1000)
            if fault.error:
                state.counts["faults error"] += 1
                return _error("simulated_failure", fault.error)
            if fault.malformed:
                state.counts["faults malformed"] += 1
                return PlainTextResponse('{"status": "answ', status_code=200, media_type="application/json")
            request.state.fault = fault
            try:
                response = await endpoint(request)
            except _BadRequest:
                return _error("bad_request", 400)
            if fault.timeout:
                state.counts["faults timeout"] += 1
                await asyncio.sleep(settings.timeout_seconds)
            return response

        return run

    async def linkage_codes(request: Request) -> Response:
        data = await _body(request, "agency_code", "individual_number")
        number = str(data["individual_number"])
        if not is_valid_my_number(number):
            return _error("invalid_individual_number", 400)
        key = person_key(state.secret, number)
        code = linkage_code(state.secret, str(data["agency_code"]), key)
        state.codes[code] = key
        state.counts["linkage codes issued"] += 1
        return JSONResponse({"linkage_code": code})

    async def certificates(request: Request) -> Response:
        data = await _body(request, "agency_code", "linkage_code", "affair", "item", "request_id")
        if data["linkage_code"] not in state.codes:
            return _error("unknown_linkage_code", 404)
        match = next(
            (p for p in state.permitted if (p["affair"], p["item"]) == (data["affair"], data["item"])), None
        )
        if match is None:
            state.counts["certificates refused"] += 1
            return _error("not_permitted", 403)
        now = datetime.now(UTC)
        certificate = {
            "certificate_id": "CERT-" + uuid.uuid4().hex[:20].upper(),
            "provider": match["provider"],
            "linkage_code": data["linkage_code"],
            "affair": data["affair"],
            "item": data["item"],
            "issued_at": now.isoformat(),
            "expires_at": (now + timedelta(seconds=settings.certificate_ttl_seconds)).isoformat(),
        }
        state.certificates[certificate["certificate_id"]] = certificate
        state.counts["certificates issued"] += 1
        return JSONResponse(
            {k: certificate[k] for k in ("certificate_id", "provider", "issued_at", "expires_at")}
        )

    async def income_queries(request: Request) -> Response:
        data = await _body(request, "request_id", "certificate_id", "linkage_code", "fiscal_year")
        request_id = str(data["request_id"])
        if request_id in state.answers:  # idempotent: a retried request gets the same answer
            state.counts["income queries repeated"] += 1
            return JSONResponse(state.answers[request_id])
        certificate = state.certificates.get(data["certificate_id"])
        if certificate is None:
            return _error("unknown_certificate", 404)
        if certificate["linkage_code"] != data["linkage_code"]:
            return _error("certificate_mismatch", 403)
        if datetime.fromisoformat(certificate["expires_at"]) <= datetime.now(UTC):
            return _error("certificate_expired", 403)
        key = state.codes[data["linkage_code"]]
        year = int(data["fiscal_year"])
        income = None if request.state.fault.no_data else state.income_for(key, year)
        answer = {
            "request_id": request_id,
            "status": "answered" if income is not None else "no_data",
            "provider": certificate["provider"],
            "certificate_id": certificate["certificate_id"],
            "fiscal_year": year,
            "income": income,
        }
        state.answers[request_id] = answer
        state.counts["income answers produced"] += 1
        return JSONResponse(answer)

    async def income_query(request: Request) -> Response:
        answer = state.answers.get(request.path_params["request_id"])
        return JSONResponse(answer) if answer else _error("unknown_request", 404)

    async def admin_faults(request: Request) -> Response:
        if request.method == "DELETE":
            state.faults.clear()
            return JSONResponse({"faults": 0})
        data = await request.json()
        try:
            fault = Fault.parse(data["fault"])
        except (KeyError, ValueError):
            return _error("unknown_fault", 400)
        state.faults.append((data.get("path", "/"), fault, int(data.get("count", 1))))
        return JSONResponse({"faults": len(state.faults)})

    async def admin_permitted(request: Request) -> Response:
        state.permitted = [
            {"affair": p["affair"], "item": p["item"], "provider": p.get("provider", "")}
            for p in await request.json()
        ]
        return JSONResponse({"permitted": len(state.permitted)})

    async def admin_seed(request: Request) -> Response:
        try:
            return JSONResponse({"seeded": state.seed(await request.json())})
        except (ValueError, KeyError, TypeError):
            return _error("invalid_seed", 400)

    async def admin_stats(_: Request) -> Response:
        return JSONResponse(dict(state.counts))

    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    app = Starlette(
        routes=[
            Route("/linkage-codes", faulted(linkage_codes), methods=["POST"]),
            Route("/certificates", faulted(certificates), methods=["POST"]),
            Route("/income-queries", faulted(income_queries), methods=["POST"]),
            Route("/income-queries/{request_id}", faulted(income_query), methods=["GET"]),
            Route("/admin/faults", admin_faults, methods=["POST", "DELETE"]),
            Route("/admin/permitted", admin_permitted, methods=["PUT"]),
            Route("/admin/seed", admin_seed, methods=["POST"]),
            Route("/admin/stats", admin_stats, methods=["GET"]),
            Route("/healthz", healthz, methods=["GET"]),
        ]
    )
    app.state.simulator = state
    return app


def random_secret() -> str:
    return secrets.token_urlsafe(32)
