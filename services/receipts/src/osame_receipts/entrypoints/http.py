"""HTTP API of receipts (Starlette): 窓口, 証券/不渡, unmatched list/assign, imports, 口座振替, 軽JNKS.

Thin: parse the request, call a use case in one unit of work, return JSON. URLs carry ids only
(receipt/instrument/mandate ids, 通知書番号), never names or account data.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging

from osame_chassis.audit import AuditLog
from osame_chassis.audit_http import audit_routes
from osame_chassis.auth import Authenticator, AuthSettings
from osame_chassis.data_rights import data_rights_routes
from osame_chassis.openapi import api
from osame_law.errors import LawError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from osame_receipts.adapters import cvs, daily, disclosure, kei_jnks, ledger_view, orm, repository, retention
from osame_receipts.domain import dates
from osame_receipts.domain.direct_debit import DebitRequestRefused
from osame_receipts.domain.reconciliation import parse_order
from osame_receipts.entrypoints import http_reads, schemas
from osame_receipts.service_layer import (
    channels,
    corrections,
    direct_debit,
    law_orders,
    suspense,
    withholding_imports,
)
from osame_receipts.service_layer.imports import ImportReport

log = logging.getLogger("osame.receipts.http")
IMPORT_KINDS = ("zengin-result", "cvs", "ocr", "mpn", "eltax", *withholding_imports.KINDS)


def _date(value, name: str) -> dt.date:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise channels.ChannelError(f"{name} must be an ISO date") from None


def _int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
        raise channels.ChannelError(f"{name} must be a non-negative integer")
    return int(value)


def _text(body: dict, name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise channels.ChannelError(f"{name} is required")
    return value


def creditor(settings) -> direct_debit.Creditor:
    return direct_debit.Creditor(
        code=settings.creditor_code,
        name=settings.creditor_name,
        bank_code=settings.creditor_bank_code,
        branch_code=settings.creditor_branch_code,
        account_type=settings.creditor_account_type,
        account_number=settings.creditor_account_number,
    )


def routes(runtime, auth: Authenticator | None = None) -> list[Route]:
    """Staff routes: each needs a bearer token granting `receipts:<action>` (e.g. role receipts_staff)
    and is written to the hash-chained audit log."""
    settings = runtime.settings
    order = parse_order(settings.reconciliation_order)
    auth = auth or Authenticator(AuthSettings(), audit=AuditLog(orm.audit_log).hook(runtime.sessions))

    @api("Money check: receipts' totals (optionally of one 宛名番号)", query=schemas.MoneyQuery)
    async def money_route(request: Request) -> Response:
        addressee_id = request.query_params.get("addressee_id")
        if addressee_id is not None and not (addressee_id.isdigit() and len(addressee_id) <= 15):
            return JSONResponse({"error": "addressee_id must be a 宛名番号"}, status_code=422)
        async with runtime.sessions() as session:
            return JSONResponse(await repository.money(session, addressee_id))

    @api("A taxpayer's ledger (課税・収納)", path=schemas.LedgerPath, errors=(422,))
    @auth.require("receipts:ledger.read")
    async def ledger_route(request: Request) -> Response:
        addressee_id = request.path_params["addressee_id"]
        if not (addressee_id.isdigit() and len(addressee_id) <= 15):
            return JSONResponse({"error": "addressee_id must be a 宛名番号 (1–15 digits)"}, status_code=422)
        request.state.audit_addressee_id = addressee_id
        async with runtime.sessions() as session:
            return JSONResponse(_deep_jsonable(await ledger_view.taxpayer_ledger(session, addressee_id)))

    @api("Totals of one booking day", query=schemas.DailyTotalsQuery)
    @auth.require("receipts:daily-totals.read")
    async def daily_route(request: Request) -> Response:
        async with runtime.unit_of_work() as uow:
            try:
                day = request.query_params.get("booked_on")
                booked_on = _date(day, "booked_on") if day else uow.today()
                dates.check_planned("booked_on", booked_on, uow.today())
            except (channels.ChannelError, LawError) as err:
                return JSONResponse({"error": str(err)}, status_code=422)
            return JSONResponse(await daily.daily_totals(uow.session, booked_on))

    def endpoint(fn, permission: str):
        @auth.require(f"receipts:{permission}")
        @functools.wraps(fn)  # keeps its `api` declaration
        async def wrapped(request: Request) -> Response:
            try:
                body = await request.json() if request.method == "POST" and _is_json(request) else {}
                if not isinstance(body, dict):
                    raise channels.ChannelError("the body must be a JSON object")
                async with runtime.unit_of_work() as uow:
                    result = await fn(request, body, uow)
                    await uow.commit()
                return result if isinstance(result, Response) else JSONResponse(result)
            except (
                channels.ChannelError,
                DebitRequestRefused,
                cvs.BarcodeError,
                LawError,
                suspense.SuspenseError,
                corrections.CorrectionRefused,
            ) as err:
                return JSONResponse({"error": str(err)}, status_code=409 if "already" in str(err) else 422)
            except ValueError as err:
                return JSONResponse(
                    {"error": f"invalid input ({type(err).__name__})", "detail": _safe(err)}, status_code=422
                )

        return wrapped

    @api(
        "窓口収納: record a counter payment",
        body=schemas.CounterPayment,
        also={202: "Kept but not applied: on the unmatched list"},
        errors=(409, 422),
    )
    async def counter(request, body, uow):
        outcome = await channels.counter_payment(
            uow,
            receipt_no=_text(body, "receipt_no"),
            notice_number=_text(body, "notice_number"),
            installment_no=_int(body.get("installment_no"), "installment_no"),
            amount=_int(body.get("amount"), "amount"),
            paid_on=_date(body.get("paid_on"), "paid_on"),
            order=order,
        )
        # 202: the money is kept but not applied (unmatched list); the cashier must see that
        return JSONResponse(outcome, status_code=202 if outcome["status"] == "unmatched" else 200)

    @api(
        "Held money (保留) by status, channel, batch, 通知書番号 or paid date",
        query=schemas.SuspenseQuery,
        errors=(409, 422),
    )
    async def suspense_list(request, body, uow):
        q = request.query_params
        status = q.get("status", "held")
        if status not in ("held", "resolved", "returned", "all"):
            raise channels.ChannelError("status must be held, resolved, returned or all")
        items = await suspense.search(
            uow,
            status=None if status == "all" else status,
            channel=q.get("channel") or None,
            batch_id=q.get("batch_id") or None,
            notice_number=q.get("notice_number") or None,
            paid_from=_date(q["paid_from"], "paid_from") if q.get("paid_from") else None,
            paid_to=_date(q["paid_to"], "paid_to") if q.get("paid_to") else None,
            limit=min(_int(q.get("limit", 500), "limit"), 5_000),
        )
        return {"items": _jsonable(items)}

    @api(
        "収納訂正: propose a correction", body=schemas.CorrectionProposal, status=201, errors=(404, 409, 422)
    )
    async def correction_propose(request, body, uow):
        target = body.get("notice_number")
        outcome = await corrections.propose(
            uow,
            receipt_id=_text(body, "receipt_id"),
            kind=_text(body, "kind"),
            reason=body.get("reason") if isinstance(body.get("reason"), str) else "",
            staff=request.state.principal.user,
            notice_number=_text(body, "notice_number") if target is not None else None,
            installment_no=_int(body.get("installment_no"), "installment_no") if target is not None else None,
        )
        return JSONResponse(outcome, status_code=201)

    @api(
        "充当 order as law data: load a row (effective date, source)",
        body=schemas.AppropriationOrderRow,
        status=201,
        errors=(422,),
    )
    async def law_order_load(request, body, uow):
        return JSONResponse(await law_orders.load(uow, body, request.state.principal.user), status_code=201)

    @api("充当 order rows loaded (history)")
    async def law_order_list(request, body, uow):
        return {"items": _jsonable(await law_orders.rows(uow.session))}

    @api("収納訂正: approve (a user other than the proposer)", errors=(404, 409, 422))
    async def correction_approve(request, body, uow):
        return await corrections.approve(
            uow, request.path_params["correction_id"], staff=request.state.principal.user, order=order
        )

    @api("収納訂正: reject", body=schemas.CorrectionRejection, body_required=False, errors=(404, 409, 422))
    async def correction_reject(request, body, uow):
        note = body.get("note")
        return await corrections.reject(
            uow,
            request.path_params["correction_id"],
            staff=request.state.principal.user,
            note=note if isinstance(note, str) else None,
        )

    @api("Apply held money to an installment", body=schemas.SuspenseResolve, errors=(409, 422))
    async def suspense_resolve(request, body, uow):
        return await suspense.resolve(
            uow,
            request.path_params["suspense_id"],
            notice_number=_text(body, "notice_number"),
            installment_no=_int(body.get("installment_no"), "installment_no"),
            staff=request.state.principal.user,
            amount=_int(body["amount"], "amount") if body.get("amount") is not None else None,
            paid_on=_date(body["paid_on"], "paid_on") if body.get("paid_on") else None,
            booked_on=_date(body["booked_on"], "booked_on") if body.get("booked_on") else None,
            order=order,
        )

    @api("Return held money to the payer", body=schemas.SuspenseReturn, errors=(409, 422))
    async def suspense_return(request, body, uow):
        return await suspense.return_money(
            uow,
            request.path_params["suspense_id"],
            note=_text(body, "note"),
            staff=request.state.principal.user,
        )

    @api("Import batches", query=schemas.BatchesQuery, errors=(409, 422))
    async def batches(request, body, uow):
        q = request.query_params
        return {
            "items": _jsonable(
                await repository.import_batches(
                    uow.session,
                    channel=q.get("channel") or None,
                    status=q.get("status") or None,
                    limit=min(_int(q.get("limit", 100), "limit"), 1_000),
                )
            )
        }

    @api("One import batch with its errors", errors=(409, 422))
    async def batch(request, body, uow):
        found = await repository.import_batch(uow.session, request.path_params["batch_id"])
        if found is None:
            raise channels.ChannelError("no import batch with this id")
        return _jsonable([found])[0] | {"errors": found["errors"]}

    @api("証券: record a received cheque or bill", body=schemas.SecurityReceived, errors=(409, 422))
    async def security(request, body, uow):
        instrument_id, receipt_id = await channels.receive_security(
            uow,
            instrument_number=_text(body, "instrument_number"),
            drawee_bank_code=_text(body, "drawee_bank_code"),
            notice_number=_text(body, "notice_number"),
            installment_no=_int(body.get("installment_no"), "installment_no"),
            amount=_int(body.get("amount"), "amount"),
            received_on=_date(body.get("received_on"), "received_on"),
            order=order,
        )
        return {"instrument_id": instrument_id, "receipt_id": receipt_id}

    @api("証券 cleared (決済)", body=schemas.OnDate, errors=(409, 422))
    async def security_clear(request, body, uow):
        await channels.clear_security(uow, request.path_params["instrument_id"], _date(body.get("on"), "on"))
        return {"status": "cleared"}

    @api("証券 dishonoured (不渡): its receipt is reversed", body=schemas.OnDate, errors=(409, 422))
    async def security_dishonour(request, body, uow):
        receipt_id = await channels.dishonour_security(
            uow,
            request.path_params["instrument_id"],
            _date(body.get("on"), "on"),
        )
        return {"status": "dishonoured", "reversed_receipt_id": receipt_id}

    @api("Apply an unmatched receipt to an installment", body=schemas.Assign, errors=(409, 422))
    async def assign(request, body, uow):
        return await channels.assign_unmatched(
            uow,
            request.path_params["receipt_id"],
            notice_number=_text(body, "notice_number"),
            installment_no=_int(body.get("installment_no"), "installment_no"),
            order=order,
        )

    @api(
        "Import a bank, CVS, OCR, MPN, eLTAX or 特別徴収 納入 file (the body is the file)",
        path=schemas.ImportPath,
        query=schemas.ImportQuery,
        body_media="application/octet-stream",
        response=ImportReport,
        also={202: "Held: money kept, not applied"},
        errors=(409, 422),
    )
    async def import_file(request, body, uow):
        kind = request.path_params["kind"]
        if kind not in IMPORT_KINDS:
            raise channels.ChannelError(f"kind must be one of {', '.join(IMPORT_KINDS)}")
        data = await request.body()
        name = request.query_params.get("file", f"upload.{kind}")
        if kind == "zengin-result":
            year = request.query_params.get("year")
            report = await direct_debit.import_result(
                uow,
                data,
                file=name,
                creditor_code=settings.creditor_code,
                year=_int(year, "year") if year is not None else None,
                order=order,
                check_banks=settings.check_bank_codes,
            )
        elif kind == "cvs":
            report = await channels.import_cvs(uow, data, file=name, order=order)
        elif kind in withholding_imports.KINDS:  # 特別徴収 納入 (one payment over many employees)
            report = await withholding_imports.import_withholding(uow, kind, data, file=name)
        else:
            report = await channels.import_normalized(uow, kind, data, file=name, order=order)
        ok = report.status in ("applied", "already_imported")
        return JSONResponse(
            report.as_dict(), status_code=200 if ok else 202 if report.status == "held" else 422
        )

    @api(
        "Build the 口座振替 request file (全銀)",
        body=schemas.DebitRequest,
        media="application/octet-stream",
        errors=(409, 422),
    )
    async def debit_request(request, body, uow):
        if "today" in body:
            raise channels.ChannelError(
                "today: not accepted; the business date is the server's (Asia/Tokyo), never the request's"
            )
        data = await direct_debit.build_request(
            uow,
            debit_date=_date(body.get("debit_date"), "debit_date"),
            fiscal_year=_int(body.get("fiscal_year"), "fiscal_year"),
            creditor=creditor(settings),
        )
        return Response(data, media_type="application/octet-stream")

    @api("Register a 口座振替 mandate", body=schemas.Mandate, errors=(409, 422))
    async def mandate(request, body, uow):
        values = {
            k: body.get(k)
            for k in (
                "addressee_id",
                "tax_item",
                "bank_code",
                "branch_code",
                "account_type",
                "account_number",
                "holder_kana",
            )
        }
        values["account_type"] = values["account_type"] or "1"
        for k in ("applied_on", "starts_on"):
            values[k] = _date(body.get(k), k)
        for k in values:
            if values[k] in (None, ""):
                raise channels.ChannelError(f"{k} is required")
        return {"mandate_id": await direct_debit.register_mandate(uow, values)}

    @api("Cancel a mandate", body=schemas.OnDate, errors=(409, 422))
    async def mandate_cancel(request, body, uow):
        ok = await direct_debit.cancel_mandate(
            uow, request.path_params["mandate_id"], _date(body.get("on"), "on")
        )
        if not ok:
            raise channels.ChannelError("no mandate with this id")
        return {"status": "cancelled"}

    @api(
        "The CVS barcode of an installment",
        path=schemas.BarcodePath,
        query=schemas.BarcodeQuery,
        errors=(409, 422),
    )
    async def barcode(request, body, uow):
        from osame_receipts.adapters.repository import LedgerRepository

        notice, inst_no = (
            request.path_params["notice_number"],
            _int(request.path_params["installment_no"], "期別"),
        )
        inst = await LedgerRepository(uow.session).installment(notice, inst_no)
        if inst is None:
            raise channels.ChannelError("no such installment in the ledger")
        pay_by = _date(request.query_params.get("pay_by", inst.due_date.isoformat()), "pay_by")
        code = cvs.build_barcode(
            company_code=settings.cvs_company_code,
            notice_number=notice,
            installment_no=inst_no,
            pay_by=pay_by,
            amount=inst.owed().total,
        )
        return {"barcode": code}

    @api("軽JNKS export (CSV)", query=schemas.KeiQuery, media="text/csv", errors=(409, 422))
    async def kei(request, body, uow):
        year = _int(request.query_params.get("fiscal_year", dt.date.today().year), "fiscal_year")
        data = kei_jnks.to_csv(await kei_jnks.load(uow.session, year))
        return Response(data, media_type="text/csv; charset=utf-8")

    @api("口座振替 failures", errors=(409, 422))
    async def failures(request, body, uow):
        from sqlalchemy import select

        from osame_receipts.adapters import orm

        f = orm.debit_failures.c
        rows = (
            (
                await uow.session.execute(
                    select(
                        f.failure_id,
                        f.addressee_id,
                        f.notice_number,
                        f.installment_no,
                        f.amount,
                        f.debit_date,
                        f.result_code,
                        f.reason,
                        f.letter_status,
                    ).order_by(f.debit_date, f.notice_number)
                )
            )
            .mappings()
            .all()
        )
        return {"items": _jsonable([dict(r) for r in rows])}

    return [
        *audit_routes("receipts", auth, runtime.sessions, AuditLog(orm.audit_log)),
        Route("/money", auth.require("receipts:money.read")(money_route), methods=["GET"]),
        Route("/api/taxpayers/{addressee_id}/ledger", ledger_route, methods=["GET"]),
        Route("/api/daily-totals", daily_route, methods=["GET"]),
        Route("/api/counter-payments", endpoint(counter, "counter-payment.record"), methods=["POST"]),
        Route("/api/securities", endpoint(security, "security.record"), methods=["POST"]),
        Route(
            "/api/securities/{instrument_id}/clear",
            endpoint(security_clear, "security.clear"),
            methods=["POST"],
        ),
        Route(
            "/api/securities/{instrument_id}/dishonour",
            endpoint(security_dishonour, "security.dishonour"),
            methods=["POST"],
        ),
        Route("/api/unmatched/{receipt_id}/assign", endpoint(assign, "unmatched.assign"), methods=["POST"]),
        Route("/api/imports/{kind}", endpoint(import_file, "import.run"), methods=["POST"]),
        Route("/api/import-batches", endpoint(batches, "import.read"), methods=["GET"]),
        Route("/api/import-batches/{batch_id}", endpoint(batch, "import.read"), methods=["GET"]),
        Route("/api/law/appropriation-orders", endpoint(law_order_load, "law.write"), methods=["POST"]),
        Route("/api/law/appropriation-orders", endpoint(law_order_list, "law.read"), methods=["GET"]),
        Route("/api/corrections", endpoint(correction_propose, "correction.propose"), methods=["POST"]),
        Route(
            "/api/corrections/{correction_id}/approve",
            endpoint(correction_approve, "correction.approve"),
            methods=["POST"],
        ),
        Route(
            "/api/corrections/{correction_id}/reject",
            endpoint(correction_reject, "correction.approve"),
            methods=["POST"],
        ),
        Route("/api/suspense", endpoint(suspense_list, "suspense.read"), methods=["GET"]),
        Route(
            "/api/suspense/{suspense_id}/resolve",
            endpoint(suspense_resolve, "suspense.resolve"),
            methods=["POST"],
        ),
        Route(
            "/api/suspense/{suspense_id}/return",
            endpoint(suspense_return, "suspense.resolve"),
            methods=["POST"],
        ),
        Route("/api/direct-debit/requests", endpoint(debit_request, "debit-request.build"), methods=["POST"]),
        Route("/api/direct-debit/failures", endpoint(failures, "debit-failure.read"), methods=["GET"]),
        Route("/api/mandates", endpoint(mandate, "mandate.record"), methods=["POST"]),
        Route(
            "/api/mandates/{mandate_id}/cancel", endpoint(mandate_cancel, "mandate.cancel"), methods=["POST"]
        ),
        Route(
            "/api/cvs/barcode/{notice_number}/{installment_no}",
            endpoint(barcode, "barcode.read"),
            methods=["GET"],
        ),
        Route("/api/exports/kei-jnks.csv", endpoint(kei, "export.read"), methods=["GET"]),
        *http_reads.routes(runtime, auth),  # the staff screens' reads (searched, paged, one item)
        # POST /ops/retention, GET /disclosure/{addressee_id} (issue 13)
        *data_rights_routes(runtime, auth, rules=retention.rules, sources=disclosure.SOURCES),
    ]


def _is_json(request: Request) -> bool:
    return request.headers.get("content-type", "").startswith("application/json")


def _safe(err: Exception) -> str:
    """pydantic/our messages carry no input values (hide_input_in_errors); keep it short."""
    return str(err).splitlines()[0][:200]


def _jsonable(rows: list[dict]) -> list[dict]:
    return [{k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in r.items()} for r in rows]


def _deep_jsonable(value):
    """Dates and timestamps as ISO strings, through nested dicts and lists."""
    if isinstance(value, dict):
        return {k: _deep_jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep_jsonable(v) for v in value]
    if isinstance(value, dt.date):  # datetime too
        return value.isoformat()
    return value
