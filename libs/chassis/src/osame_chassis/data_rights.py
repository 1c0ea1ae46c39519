"""Two operator routes every service serves for the data it holds (issue 13): retention and 開示.

| route | permission | audited as |
|---|---|---|
| POST /ops/retention `{"dry_run": true}` | `<service>:retention.run` | `retention.run`, outcome `dry-run:<table>=<n>:…` / `ok:…` |
| GET /disclosure/{addressee_id} | `<service>:disclosure.export` | `disclosure.export`, with the 宛名番号 |

The retention job runs the chassis' plumbing rules (outbox, inbox) and the service's own rules
(`osame_chassis.retention.Rule`, periods from configuration with their legal basis); a dry run
counts, the real run deletes; the answer, the log line and the audit entry carry counts only. The
dry run is the default: deleting needs `{"dry_run": false}`. The disclosure route answers the
service's section of a 開示 export (`osame_chassis.disclosure`); `osame disclosure export` gathers
the five sections. Both go through the service's authenticator, so the operator is a verified
token subject and each call lands in the service's audit log (`osame_chassis.auth`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from osame_chassis import retention
from osame_chassis.disclosure import Source, collect
from osame_chassis.openapi import api

log = logging.getLogger("osame.data_rights")
ADDRESSEE = re.compile(r"^[0-9]{1,15}$")
NO_STORE = {"Cache-Control": "no-store"}


class RetentionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    dry_run: bool = Field(default=True, description="count only (default); false deletes")


class RetentionAnswer(BaseModel):
    service: str
    dry_run: bool
    counts: dict[str, int] = Field(description="rows past their period per table (deleted unless dry run)")
    periods: dict[str, dict] = Field(description="per table: days kept and the legal basis")


class DisclosureSection(BaseModel):
    service: str
    addressee_id: str
    generated_at: str
    records: dict[str, dict] = Field(description="per table: title and every row about the addressee")


def data_rights_routes(
    runtime,
    auth,
    *,
    rules: Callable[[], list[retention.Rule]],
    sources: list[Source],
) -> list[Route]:
    """`rules()` builds the service's own retention rules from its configuration (called per run)."""
    service = runtime.settings.service_name

    def all_rules() -> list[retention.Rule]:
        return retention.plumbing_rules(runtime.settings) + rules()

    @api(
        "Delete (or with dry_run count) what is past its retention period",
        body=RetentionBody,
        body_required=False,
        response=RetentionAnswer,
        errors=(400,),
    )
    async def run_retention(request: Request) -> JSONResponse:
        raw = await request.body()
        try:
            body = RetentionBody.model_validate_json(raw) if raw.strip() else RetentionBody()
        except ValueError:
            return JSONResponse({"error": "invalid_body"}, status_code=400)
        chosen = all_rules()
        counts = await retention.apply(runtime.sessions, chosen, dry_run=body.dry_run, now=datetime.now(UTC))
        summary = ":".join(f"{k}={v}" for k, v in counts.items())
        nonzero = "".join(f":{k}={v}" for k, v in counts.items() if v)
        outcome = f"{'dry-run' if body.dry_run else 'ok'}:total={sum(counts.values())}{nonzero}"
        request.state.audit_outcome = outcome[:80]  # the audit column's width; the answer has them all
        log.info(
            "retention %s: %s",
            "dry run" if body.dry_run else "run",
            summary,
            extra={"count": sum(counts.values())},
        )
        periods = {r.table.name: {"days": r.days, "basis": r.basis} for r in chosen}
        return JSONResponse(
            {"service": service, "dry_run": body.dry_run, "counts": counts, "periods": periods}
        )

    @api("Everything held about one addressee (開示請求)", response=DisclosureSection, errors=(400,))
    async def disclosure(request: Request) -> JSONResponse:
        addressee_id = request.path_params["addressee_id"]
        if not ADDRESSEE.match(addressee_id):
            return JSONResponse({"error": "invalid_addressee_id"}, status_code=400)
        request.state.audit_addressee_id = addressee_id
        async with runtime.sessions() as session:
            records = await collect(session, sources, addressee_id)
        count = sum(len(section["rows"]) for section in records.values())
        request.state.audit_outcome = f"ok:rows={count}"
        log.info("disclosure export: %d rows in %d tables", count, len(records), extra={"count": count})
        return JSONResponse(
            {
                "service": service,
                "addressee_id": addressee_id,
                "generated_at": datetime.now(UTC).isoformat(),
                "records": records,
            },
            headers=NO_STORE,
        )

    return [
        Route(
            "/ops/retention",
            auth.require(f"{service}:retention.run", "retention.run")(run_retention),
            methods=["POST"],
        ),
        Route(
            "/disclosure/{addressee_id}",
            auth.require(f"{service}:disclosure.export", "disclosure.export")(disclosure),
            methods=["GET"],
        ),
    ]
