"""HTTP routes of collection (Starlette). Thin: authenticate, parse, call a use case, answer.

Authentication is the chassis' staff JWT (``osame_chassis.auth``, settings ``OSAME_AUTH_*``); every
call, allowed or refused, is written to collection's hash-chained ``audit_log``; the use cases add
their own entries (what changed). The staff user of a use case is the token's subject (a
``staff_user`` in a body is ignored). Paths carry only ids (宛名番号 is internal); bodies are never
logged.

Permissions (``collection:<action>``):
  GET  /cases/{addressee_id}?as_of=DATE             cases.read    delinquency view (延滞金 to as_of)
  PUT  /cases/{addressee_id}/assignee               cases.write   {assignee}
  POST /cases/{addressee_id}/contacts               cases.write   折衝記録 RecordContact
  POST /cases/{addressee_id}/pledges                cases.write   分納誓約 RecordPledge
  POST /cases/{addressee_id}/inquiries              cases.write   財産調査 RecordInquiry
  POST /inquiries/{query_id}/answers                cases.write   財産調査 answer RecordAnswer
  POST /cases/{addressee_id}/dispositions           dispositions.write  処分 RecordDisposition
                                                    (配当 with proceeds → 配当計算書, domain.distribution)
  POST /cases/{addressee_id}/stays                  stays.write   執行停止 RecordStay
  POST /stays/{stay_id}/cancel                      stays.write   {cancelled_on}
  POST /cases/{addressee_id}/postponements          postponements.write   猶予 ApplyPostponement
  POST /postponements/{id}/decision                 postponements.decide  DecidePostponement
  POST /postponements/{id}/extension                postponements.decide  ExtendPostponement
  POST /postponements/{id}/cancel                   postponements.decide  CancelPostponement
  POST /postponements/{id}/breach-decision          postponements.decide  DecideBreach (取消し / 継続)
  POST /demand-holds                                cases.write   督促停止 DemandHold
  POST /demand-notices/{id}/serve                   cases.write   a held 督促状 served {served_on, means}
  POST /batches/nightly                             batches.run   {batch_date, wait?}
  GET  /batches?kind=&status=&limit=&offset=        batches.read  runs, newest first {total, items}
  GET  /batches/{batch_id}                          batches.read  status, progress, summary
  POST /campaigns                                   batches.run   SaveCampaign (saved criteria)
  POST /campaigns/{campaign_id}/run                 batches.run   {run_on}
  POST /pledges/monitor                             batches.run   {as_of} 履行監視
  POST /write-offs/run                              write-offs.run {as_of} 不納欠損 prepared
  POST /write-offs/{run_id}/approve                 write-offs.approve  applied (approver ≠ preparer)
  GET  /batches/{batch_id}/letters.csv              print.read    print-vendor file
  GET  /batches/{batch_id}/sample.pdf               print.read    rendered sample
  GET  /dispositions/{disposition_id}/record.pdf    print.read    差押調書 (謄本)
  GET  /stays/{stay_id}/notice.pdf                  print.read    執行停止通知書
  GET  /audit?action=&addressee_id=&from_date=&…   audit.read    the trail, paged (+ chain state)
  GET  /audit/verify                                audit.read    the chain check (409 when broken)
  GET  /worklists/{kind}?assignee=&page=&per_page=  worklists.read  the user's own list; another
       (&horizon_days= &ahead_days=)                (+ worklists.team)  担当's or "*" (every case)
       kind: cases | next-actions | promises | limitation | seizures | pledges-breached
  POST /law-changes/preview                         law.read      LawChange → every amount it changes
  POST /law-changes/apply                           law.write     LawChange stored, recomputed, published
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import date

from osame_chassis.audit_http import audit_routes
from osame_chassis.auth import AccessEvent, Authenticator, AuthSettings
from osame_chassis.data_rights import data_rights_routes
from osame_chassis.errors import PermanentError
from osame_chassis.messaging.consumer import describe_validation_error
from osame_chassis.openapi import api, summary_of
from osame_chassis.runtime import ServiceRuntime
from osame_law import LawError
from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from osame_collection.adapters import batch_runs, disclosure, print_formats, retention
from osame_collection.adapters.orm import AUDIT
from osame_collection.entrypoints import schemas
from osame_collection.service_layer import (
    audit,
    cases,
    demand_notices,
    dispositions,
    documents,
    holds,
    inquiries,
    law_changes,
    letters,
    nightly,
    pledges,
    postponements,
    reminders,
    stays,
    worklists,
)
from osame_collection.service_layer.policy import CollectionPolicy

log = logging.getLogger("osame.collection.http")
NO_STORE = {"Cache-Control": "no-store"}


def _error(status: int, error: str) -> JSONResponse:
    return JSONResponse({"error": error}, status_code=status, headers=NO_STORE)


class _Day(BaseModel):
    batch_date: date | None = None
    run_on: date | None = None
    as_of: date | None = None
    cancelled_on: date | None = None
    wait: bool = True


def audit_hook(runtime: ServiceRuntime):
    async def hook(event: AccessEvent) -> None:
        async with runtime.unit_of_work() as uow:
            await audit.record(
                uow.session,
                event.user,
                f"http.{event.operation}",
                event.addressee_id,
                None,
                outcome=event.outcome,
                client=event.client,
            )
            await uow.commit()

    return hook


class Progress:
    """In-memory progress of batches started by this process (the batch table holds the outcome)."""

    def __init__(self) -> None:
        self.state: dict[str, dict] = {}

    def tracker(self, batch_id: str):
        entry = self.state.setdefault(batch_id, {"processed": 0, "total": 0})

        def advance(n: int, total: int) -> None:
            entry["total"] = total
            entry["processed"] += n

        return advance


def routes(
    runtime: ServiceRuntime, auth: Authenticator | None = None, policy: CollectionPolicy | None = None
) -> list[BaseRoute]:
    auth = auth or Authenticator(AuthSettings(), audit=audit_hook(runtime))
    policy = policy or runtime.settings.policy()
    progress = Progress()
    settings = runtime.settings
    letter_setup = print_formats.LetterSetup(
        policy.demand_fees.city,
        getattr(settings, "agency_code", None),
        getattr(settings, "letter_font", print_formats.DEFAULT_FONT),
    )
    tasks: set[asyncio.Task] = set()

    async def run(handler, command, **kw):
        async with runtime.unit_of_work() as uow:
            result = await handler(command, uow, **kw)
            await uow.commit()
        return result

    def body_command(model, handler, *, with_policy=False, path_field="addressee_id", status=201):
        async def endpoint(request: Request) -> Response:
            try:
                raw = await request.json()
            except ValueError:
                return _error(400, "body is not JSON")
            if not isinstance(raw, dict):
                return _error(400, "body must be a JSON object")
            if path_field in request.path_params:
                raw[path_field] = request.path_params[path_field]
                if path_field == "addressee_id":
                    request.state.audit_addressee_id = request.path_params[path_field][:15]
            raw["staff_user"] = request.state.principal.user[:64]
            try:
                command = model.model_validate(raw)
            except ValidationError as err:
                return _error(422, describe_validation_error(err))
            try:
                result = await run(handler, command, **({"policy": policy} if with_policy else {}))
            except cases.NotFound as err:
                return _error(404, str(err))
            except (PermanentError, LawError) as err:
                return _error(422, str(err))
            return JSONResponse({"result": result}, status_code=status, headers=NO_STORE)

        server_set = ("staff_user", path_field)
        return api(
            summary_of(model), body=model, body_from_server=server_set, status=status, errors=(400, 404, 422)
        )(endpoint)

    @api("Delinquency view of a case (延滞金 to as_of)", query=schemas.CaseQuery, errors=(404, 422))
    async def view(request: Request) -> Response:
        addressee_id = request.path_params["addressee_id"]
        request.state.audit_addressee_id = addressee_id[:15]
        try:
            command = cases.ViewCase(
                addressee_id=addressee_id,
                as_of=request.query_params.get("as_of") or policy.business_date().isoformat(),
                staff_user=request.state.principal.user[:64],
            )
        except ValidationError as err:
            return _error(422, describe_validation_error(err))
        try:
            body = await run(cases.delinquency_view, command, policy=policy)
        except cases.NotFound as err:
            return _error(404, str(err))
        return JSONResponse(body, headers=NO_STORE)

    async def _day(request: Request) -> _Day | Response:
        try:
            return _Day.model_validate_json(await request.body() or b"{}")
        except ValidationError as err:
            return _error(422, describe_validation_error(err))

    @api(
        "Run the nightly batch (or start it in the background)",
        body=schemas.NightlyBody,
        also={202: "Started in the background: {batch_id}"},
        errors=(422,),
    )
    async def start_nightly(request: Request) -> Response:
        day = await _day(request)
        if isinstance(day, Response):
            return day
        if day.batch_date is None:
            return _error(422, "batch_date: missing")
        try:
            policy.check_typed("batch_date", day.batch_date)  # refused before a background run starts
        except PermanentError as err:
            return _error(422, str(err))
        batch_id = str(uuid.uuid4())
        command = nightly.RunNightly(
            batch_date=day.batch_date, staff_user=request.state.principal.user[:64], batch_id=batch_id
        )
        work = nightly.run_and_record(
            runtime.unit_of_work, command, policy=policy, progress=progress.tracker(batch_id)
        )
        if day.wait:
            try:
                return JSONResponse({"result": await work}, headers=NO_STORE)
            except (PermanentError, LawError) as err:
                return _error(422, str(err))
        task = asyncio.create_task(work, name=f"nightly-{batch_id}")
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        return JSONResponse({"batch_id": batch_id}, status_code=202, headers=NO_STORE)

    @api(
        "Batch runs, newest first (status, dates, counts, failure)",
        query=schemas.BatchListQuery,
        errors=(422,),
    )
    async def batch_list(request: Request) -> Response:
        try:
            query = schemas.BatchListQuery.model_validate(dict(request.query_params))
        except ValidationError as err:
            return _error(422, describe_validation_error(err))
        async with runtime.sessions() as session:
            total, items = await batch_runs.batch_runs(
                session, kind=query.kind, status=query.status, limit=query.limit, offset=query.offset
            )
        return JSONResponse({"total": total, "items": items}, headers=NO_STORE)

    @api("Status, progress and summary of a batch", errors=(404,))
    async def batch_status(request: Request) -> Response:
        batch_id = request.path_params["batch_id"]
        async with runtime.unit_of_work() as uow:
            row = await nightly.batch_summary(uow, batch_id)
        live = progress.state.get(batch_id)
        if row is None and live is None:
            return _error(404, "unknown_batch")
        body = {"batch_id": batch_id, "status": row["status"] if row else "running", "progress": live}
        if row:
            body.update(summary=row["summary"], kind=row["kind"], run_on=row["run_on"].isoformat())
        return JSONResponse(body, headers=NO_STORE)

    @api("Run a saved reminder campaign", body=schemas.RunOnBody, body_required=False, errors=(404, 422))
    async def run_campaign(request: Request) -> Response:
        day = await _day(request)
        if isinstance(day, Response):
            return day
        try:
            command = reminders.RunCampaign(
                campaign_id=request.path_params["campaign_id"],
                run_on=day.run_on,
                staff_user=request.state.principal.user[:64],
            )
            return JSONResponse(
                {"result": await run(reminders.run_campaign, command, policy=policy)}, headers=NO_STORE
            )
        except ValidationError as err:
            return _error(422, describe_validation_error(err))
        except cases.NotFound as err:
            return _error(404, str(err))
        except PermanentError as err:
            return _error(422, str(err))

    @api("履行監視: check pledges as of a date", body=schemas.AsOfBody, errors=(422,))
    async def monitor(request: Request) -> Response:
        day = await _day(request)
        if isinstance(day, Response):
            return day
        if day.as_of is None:
            return _error(422, "as_of: missing")
        try:
            async with runtime.unit_of_work() as uow:
                breached = await pledges.monitor(uow, day.as_of, policy)
                await uow.commit()
        except PermanentError as err:
            return _error(422, str(err))
        return JSONResponse({"result": {"breached": breached}}, headers=NO_STORE)

    @api("不納欠損: prepare write-offs as of a date", body=schemas.AsOfBody, errors=(422,))
    async def write_offs(request: Request) -> Response:
        day = await _day(request)
        if isinstance(day, Response):
            return day
        if day.as_of is None:
            return _error(422, "as_of: missing")
        command = stays.RunWriteOffs(as_of=day.as_of, staff_user=request.state.principal.user[:64])
        try:
            return JSONResponse(
                {"result": await run(stays.run_write_offs, command, policy=policy)}, headers=NO_STORE
            )
        except PermanentError as err:
            return _error(422, str(err))

    @api("Approve prepared write-offs (approver ≠ preparer)", errors=(404, 422))
    async def approve_write_offs(request: Request) -> Response:
        command = stays.ApproveWriteOffs(
            run_id=request.path_params["run_id"][:36], staff_user=request.state.principal.user[:64]
        )
        try:
            return JSONResponse(
                {"result": await run(stays.approve_write_offs, command, policy=policy)}, headers=NO_STORE
            )
        except cases.NotFound as err:
            return _error(404, str(err))
        except PermanentError as err:
            return _error(422, str(err))

    @api("Cancel a 執行停止", body=schemas.CancelStayBody, errors=(404, 422))
    async def cancel_stay(request: Request) -> Response:
        day = await _day(request)
        if isinstance(day, Response):
            return day
        if day.cancelled_on is None:
            return _error(422, "cancelled_on: missing")
        command = stays.CancelStay(
            stay_id=request.path_params["stay_id"],
            cancelled_on=day.cancelled_on,
            staff_user=request.state.principal.user[:64],
        )
        try:
            await run(stays.cancel_stay, command, policy=policy)
        except cases.NotFound as err:
            return _error(404, str(err))
        except PermanentError as err:
            return _error(422, str(err))
        return JSONResponse({"result": "cancelled"}, headers=NO_STORE)

    async def _letters(request: Request):
        async with runtime.unit_of_work() as uow:
            return await letters.letters_of_batch(request.path_params["batch_id"], uow)

    @api("Letters of a batch, as the print vendor's CSV", media="text/csv", errors=(404,))
    async def letters_csv(request: Request) -> Response:
        try:
            found = await _letters(request)
        except PermanentError as err:
            return _error(404, str(err))
        held = [x.letter_id for x in found if x.hold_reason]
        return Response(
            print_formats.vendor_csv(found, letter_setup.agency_code),
            media_type="text/csv; charset=utf-8",
            headers={
                **NO_STORE,
                "X-Osame-Letters": str(len(found) - len(held)),
                "X-Osame-Held": str(len(held)),
            },
        )

    @api(
        "Rendered sample letters of a batch (PDF)",
        query=schemas.SampleQuery,
        media="application/pdf",
        errors=(404,),
    )
    async def sample_pdf(request: Request) -> Response:
        try:
            found = await _letters(request)
        except PermanentError as err:
            return _error(404, str(err))
        limit = min(int(request.query_params.get("limit", "3") or 3), 50)
        try:
            pdf = print_formats.sample_pdf(found, letter_setup, limit)
        except print_formats.LetterFontMissing as err:
            log.error("letters cannot be rendered: %s", err)
            return _error(503, "letter_font_missing")
        return Response(pdf, media_type="application/pdf", headers=NO_STORE)

    @api(
        "差押調書 (a disposition) or 執行停止通知書 (a stay), as PDF",
        media="application/pdf",
        errors=(404, 422, 503),
    )
    async def document_pdf(request: Request) -> Response:
        try:
            async with runtime.unit_of_work() as uow:
                if "disposition_id" in request.path_params:
                    record, items = await documents.seizure_record(
                        uow, request.path_params["disposition_id"][:36], policy
                    )
                    pdf = print_formats.seizure_record_pdf(record, items, letter_setup)
                else:
                    stay, ends = await documents.stay_notice(uow, request.path_params["stay_id"][:36])
                    pdf = print_formats.stay_notice_pdf(stay, ends, letter_setup)
        except cases.NotFound as err:
            return _error(404, str(err))
        except PermanentError as err:
            return _error(422, str(err))
        except print_formats.LetterFontMissing as err:
            log.error("documents cannot be rendered: %s", err)
            return _error(503, "letter_font_missing")
        return Response(pdf, media_type="application/pdf", headers=NO_STORE)

    @api(
        "A worklist of the team (cases, next-actions, promises, limitation, ...)",
        query=schemas.WorklistQuery,
        errors=(403, 422),
    )
    async def worklist(request: Request) -> Response:
        principal = request.state.principal
        me = principal.user[:64]
        params = dict(request.query_params)
        assignee = params.pop("assignee", None) or me
        if assignee != me and not principal.can("collection:worklists.team"):
            return _error(403, "forbidden")
        try:
            command = worklists.ReadWorklist.model_validate(
                {**params, "kind": request.path_params["kind"], "assignee": assignee, "staff_user": me}
            )
        except ValidationError as err:
            return _error(422, describe_validation_error(err))
        try:
            body = await run(worklists.read_worklist, command, policy=policy)
        except PermanentError as err:
            return _error(422, str(err))
        return JSONResponse(body, headers=NO_STORE)

    def guard(permission: str, endpoint):
        return auth.require(f"collection:{permission}")(endpoint)

    return [
        Route("/cases/{addressee_id}", guard("cases.read", view), methods=["GET"]),
        Route(
            "/cases/{addressee_id}/assignee",
            guard("cases.write", body_command(cases.AssignCase, cases.assign_case, status=200)),
            methods=["PUT"],
        ),
        Route(
            "/cases/{addressee_id}/contacts",
            guard("cases.write", body_command(cases.RecordContact, cases.record_contact, with_policy=True)),
            methods=["POST"],
        ),
        Route(
            "/cases/{addressee_id}/pledges",
            guard("cases.write", body_command(pledges.RecordPledge, pledges.record_pledge, with_policy=True)),
            methods=["POST"],
        ),
        Route(
            "/cases/{addressee_id}/inquiries",
            guard("cases.write", body_command(cases.RecordInquiry, cases.record_inquiry, with_policy=True)),
            methods=["POST"],
        ),
        Route(
            "/inquiries/{query_id}/answers",
            guard(
                "cases.write",
                body_command(
                    inquiries.RecordAnswer, inquiries.record_answer, with_policy=True, path_field="query_id"
                ),
            ),
            methods=["POST"],
        ),
        Route(
            "/cases/{addressee_id}/dispositions",
            guard(
                "dispositions.write",
                body_command(
                    dispositions.RecordDisposition, dispositions.record_disposition, with_policy=True
                ),
            ),
            methods=["POST"],
        ),
        Route(
            "/cases/{addressee_id}/stays",
            guard("stays.write", body_command(stays.RecordStay, stays.record_stay, with_policy=True)),
            methods=["POST"],
        ),
        Route("/stays/{stay_id}/cancel", guard("stays.write", cancel_stay), methods=["POST"]),
        Route(
            "/cases/{addressee_id}/postponements",
            guard(
                "postponements.write",
                body_command(postponements.ApplyPostponement, postponements.apply, with_policy=True),
            ),
            methods=["POST"],
        ),
        *(
            Route(
                f"/postponements/{{postponement_id}}/{step}",
                guard(
                    "postponements.decide",
                    body_command(model, handler, with_policy=True, path_field="postponement_id", status=200),
                ),
                methods=["POST"],
            )
            for step, model, handler in (
                ("decision", postponements.DecidePostponement, postponements.decide),
                ("extension", postponements.ExtendPostponement, postponements.extend),
                ("cancel", postponements.CancelPostponement, postponements.cancel),
                ("breach-decision", postponements.DecideBreach, postponements.decide_breach),
            )
        ),
        Route(
            "/demand-notices/{demand_notice_id}/serve",
            guard(
                "cases.write",
                body_command(
                    demand_notices.ServeDemandNotice,
                    demand_notices.serve,
                    with_policy=True,
                    path_field="demand_notice_id",
                    status=200,
                ),
            ),
            methods=["POST"],
        ),
        Route(
            "/demand-holds",
            guard("cases.write", body_command(holds.DemandHold, holds.set_hold, status=200)),
            methods=["POST"],
        ),
        Route("/batches", guard("batches.read", batch_list), methods=["GET"]),
        Route("/batches/nightly", guard("batches.run", start_nightly), methods=["POST"]),
        Route("/batches/{batch_id}", guard("batches.read", batch_status), methods=["GET"]),
        Route("/batches/{batch_id}/letters.csv", guard("print.read", letters_csv), methods=["GET"]),
        Route("/batches/{batch_id}/sample.pdf", guard("print.read", sample_pdf), methods=["GET"]),
        Route(
            "/campaigns",
            guard("batches.run", body_command(reminders.SaveCampaign, reminders.save_campaign)),
            methods=["POST"],
        ),
        Route("/campaigns/{campaign_id}/run", guard("batches.run", run_campaign), methods=["POST"]),
        Route("/pledges/monitor", guard("batches.run", monitor), methods=["POST"]),
        Route("/write-offs/run", guard("write-offs.run", write_offs), methods=["POST"]),
        Route(
            "/write-offs/{run_id}/approve",
            guard("write-offs.approve", approve_write_offs),
            methods=["POST"],
        ),
        *audit_routes("collection", auth, runtime.sessions, AUDIT),
        Route(
            "/dispositions/{disposition_id}/record.pdf", guard("print.read", document_pdf), methods=["GET"]
        ),
        Route("/stays/{stay_id}/notice.pdf", guard("print.read", document_pdf), methods=["GET"]),
        Route("/worklists/{kind}", guard("worklists.read", worklist), methods=["GET"]),
        *(
            Route(
                f"/law-changes/{verb}",
                guard(
                    permission,
                    body_command(law_changes.LawChange, use_case, with_policy=True, status=200),
                ),
                methods=["POST"],
            )
            for verb, permission, use_case in (
                ("preview", "law.read", law_changes.preview),
                ("apply", "law.write", law_changes.apply),
            )
        ),
        # POST /ops/retention, GET /disclosure/{addressee_id} (issue 13)
        *data_rights_routes(runtime, auth, rules=retention.rules, sources=disclosure.SOURCES),
    ]
