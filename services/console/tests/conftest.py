"""The console in process, signed in through the real development issuer (in process too), over
a small stand-in for the services' APIs guarded by the real chassis `Authenticator`.

The stand-in answers like collection, address-sync, refunds and receipts do (refunds' separation of
duties included: the user who prepared a refund is refused its approval) (`{"error": code}`), and some ids make
it answer an error on purpose: 401401 → 401, 403403 → 403, 409409 → 409, 500500 → 500. It
records what it received (paths, bodies, traceparent) so tests can assert what the console sent
— and what it did not send. The end-to-end browser tests run the real services instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import unescape
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from osame_chassis.auth import Authenticator, AuthSettings
from osame_console.bootstrap import build_app
from osame_console.domain.errors import SEPARATION_OF_DUTIES
from osame_console.settings import ConsoleSettings
from osame_dev_issuer.app import build_app as build_issuer
from osame_dev_issuer.settings import DevIssuerSettings
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

CONSOLE = "http://console.test"
ISSUER = "http://issuer.test"
SERVICES = "http://services.test"

CASE = {
    "addressee_id": "100001",
    "as_of": "2026-07-10",
    "assignee": None,
    "unpaid": [
        {
            "notice_number": "R8-000001",
            "installment_no": 1,
            "tax_item": "resident_tax",
            "fiscal_year": 2026,
            "due_date": "2026-06-30",
            "principal_tax": 30000,
            "paid": 0,
            "unpaid": 30000,
            "late_fee": 1234567,
            "late_fee_error": None,
            "demand_issued_on": None,
            "demand_fee": 0,
            "earliest_seizure_on": None,
            "written_off_on": None,
            "limitation_ends_on": "2031-07-01",
            "limitation_suspended_by_reminder_on": None,
        }
    ],
    "totals": {"unpaid": 30000, "late_fee": 1234567, "demand_fee": 0},
    "contacts": [],
    "pledges": [],
    "reminders": [],
    "inquiries": [],
    "dispositions": [],
    "stays": [],
    "write_offs": [],
}
FORCED = {"401401": 401, "403403": 403, "409409": 409, "500500": 500}
SEGMENT = {
    "from": "2026-08-01",
    "to": "2026-11-30",
    "days": 122,
    "rate_percent": "1.3",
    "base": 1200000,
    "yen": 5214,
    "relief": False,
}
INTEREST_PART = {
    "part_id": "part-1",
    "kind": "refunded",
    "reference": "rf-0001",
    "base_amount": 1200000,
    "cause": "erroneous_payment",
    "start": "2026-08-01",
    "end": "2026-11-30",
    "interest": 5200,
    "excluded_days": 0,
    "segments": [SEGMENT],
    "legal_basis": "地方税法17条の4①四 (誤納: 納付の日から1月を経過する日の翌日から)",
    "status": "in_refund",
    "refund_id": "rf-0001",
    "error": None,
}
APPROPRIATION = {
    "appropriation_id": "ap-0001",
    "overpayment_id": "op-0001",
    "addressee_id": "100001",
    "appropriable_on": "2026-07-01",
    "total": 30000,
    "rule": "oldest_first;demand_fee>principal_tax>late_fee",
    "status": "applied",
    "reason": None,
    "items": [
        {
            "notice_number": "K8-000001",
            "installment_no": 1,
            "component": "principal_tax",
            "amount": 30000,
            "addressee_id": "100001",
            "basis_date": "2026-04-30",
        }
    ],
    "legal_basis": "地方税法17条の2① (充当)",
    "interest_parts": [
        {
            **INTEREST_PART,
            "part_id": "part-2",
            "kind": "appropriated",
            "reference": "ap-0001",
            "interest": 0,
            "segments": [],
            "status": "owed",
            "refund_id": None,
        }
    ],
}


def refund_row(refund_id: str = "rf-0001", **changes) -> dict:
    return {
        "refund_id": refund_id,
        "overpayment_id": "op-0001",
        "addressee_id": "100001",
        "amount": 1200000,
        "refund_interest": None,
        "interest_start": "2026-08-01",
        "cause": "erroneous_payment",
        "status": "pending_approval",
        "created_on": "2026-07-01",
        "prepared_by": None,
        "prepared_on": None,
        "approved_by": None,
        "decided_on": None,
        "payout_batch_id": None,
        "closed_on": None,
        "cancel_reason": None,
        "interest_parts": [],
        **changes,
    }


IMPORT_BATCH = {
    "batch_id": "ib-0001",
    "channel": "direct_debit",
    "file_name": "zengin-result.txt",
    "file_sha256": "0" * 64,
    "records": 3,
    "applied": 1,
    "duplicates": 0,
    "unmatched": 1,
    "invalid": 1,
    "held": 1,
    "held_yen": 4000,
    "paid_yen": 1234567,
    "duplicate_yen": 0,
    "status": "held",
    "imported_at": "2026-07-10T01:00:00+00:00",
    "errors": [{"record_no": 3, "field": "paid_on", "message": "paid_on is outside the plausible window"}],
}
UNMATCHED = {
    "receipt_id": "rc-0001",
    "channel": "bank_counter",
    "channel_key": "k",
    "notice_number": "X9-999999",
    "installment_no": 1,
    "amount": 12000,
    "paid_on": "2026-07-08",
    "booked_on": "2026-07-09",
    "state": "final",
    "batch_id": "ib-0001",
}
SUSPENSE = {
    "suspense_id": "sp-0001",
    "batch_id": "ib-0001",
    "channel": "direct_debit",
    "file_name": "zengin-result.txt",
    "record_no": 3,
    "field": "amount",
    "reason": "amount is not a number",
    "amount": None,
    "paid_on": "2026-07-08",
    "booked_on": "2026-07-09",
    "notice_number": None,
    "installment_no": None,
    "status": "held",
    "recorded_at": "2026-07-10T01:00:00+00:00",
}
RECEIPT = {
    "receipt_id": "rc-0100",
    "channel": "counter",
    "channel_key": "W-1",
    "notice_number": "R8-000001",
    "installment_no": 1,
    "amount": 30000,
    "applied": 30000,
    "overpaid": 0,
    "paid_on": "2026-07-01",
    "booked_on": "2026-07-02",
    "state": "final",
    "matched": True,
    "reversed_on": None,
    "batch_id": None,
}
RUN = {
    "batch_id": "0f0e0d0c-0000-4000-8000-000000000001",
    "kind": "nightly",
    "run_on": "2026-07-09",
    "campaign_id": None,
    "status": "done",
    "started_at": "2026-07-09T12:00:00+00:00",
    "finished_at": "2026-07-09T12:01:00+00:00",
    "total": 10,
    "processed": 10,
    "counts": {"open_installments": 10, "demand_notices": 3, "demand_notices_held": 1, "pledges_breached": 0},
    "failure": None,
    "staff_user": "tainou01",
}
AUDIT_ENTRY = {
    "id": 1,
    "at": "2026-07-10T01:00:00+00:00",
    "user_id": "shuno01",
    "operation": "receipts:unmatched.read",
    "outcome": "ok",
    "addressee_id": None,
}
DAILY = {
    "booked_on": "2026-07-09",
    "channels": {
        "direct_debit": {
            "final": 1230567,
            "preliminary": 0,
            "reversed": 0,
            "by_tax_item": [{"tax_item": "resident_tax", "state": "final", "count": 2, "yen": 1230567}],
        }
    },
    "suspense": [{"channel": "direct_debit", "status": "held", "count": 1, "yen": 4000}],
    "files": [
        {
            "batch_id": "ib-0001",
            "file": "zengin-result.txt",
            "channel": "direct_debit",
            "status": "held",
            "file_total": 1234567,
            "in_ledger": 1230567,
            "held": 4000,
            "duplicates": 0,
            "reconciled": True,
        }
    ],
    "reconciled": True,
}


WORKLIST_TOTAL = 53  # more than one page of 50
WORKLIST_ROW = {  # one row with every kind's fields (the template picks its own)
    "installments": 2,
    "earliest_due_date": "2026-04-30",
    "principal_unpaid": 1234567,
    "next_action_on": "2026-07-10",
    "next_action": "電話で納付を確認",
    "contacted_on": "2026-07-01",
    "due_on": "2026-07-10",
    "seq": 3,
    "amount": 50000,
    "limitation_ends_on": "2026-12-01",
    "notice_number": "N0001",
    "installment_no": 1,
    "tax_item": "resident_tax",
    "fiscal_year": 2021,
    "due_date": "2021-06-30",
    "executed_on": "2026-05-01",
    "property_type": "deposit",
    "signed_on": "2026-03-01",
    "breached_on": "2026-06-15",
    "assignee": "tainou01",
}


@dataclass
class Upstream:
    """What the stand-in services received."""

    calls: list[dict] = field(default_factory=list)
    refunds: dict[str, dict] = field(default_factory=lambda: {"rf-0001": refund_row()})
    unmatched: dict[str, dict] = field(default_factory=lambda: {"rc-0001": dict(UNMATCHED)})
    suspense: dict[str, dict] = field(default_factory=lambda: {"sp-0001": dict(SUSPENSE)})
    corrections: dict[str, dict] = field(default_factory=dict)
    # 管理: what each service answers for its audit routes (None: the route is missing → 未対応)
    audit_verify: dict[str, dict | None] = field(
        default_factory=lambda: {"receipts": {"ok": True, "entries": 120, "first_broken_id": None}}
    )

    def paths(self) -> list[str]:
        return [c["path"] for c in self.calls]


def upstream_app(auth: Authenticator, upstream: Upstream) -> Starlette:
    async def record(request: Request) -> dict:
        body = await request.body()
        call = {
            "method": request.method,
            "path": request.url.path,
            "query": request.url.query,
            "body": body.decode() if body else "",
            "traceparent": request.headers.get("traceparent"),
            "user": request.state.principal.user,
        }
        upstream.calls.append(call)
        return call

    def forced(addressee_id: str):
        if addressee_id in FORCED:
            status = FORCED[addressee_id]
            code = {
                401: "token_revoked",
                403: "permission_denied",
                409: "already_decided",
                500: "internal error",
            }
            return JSONResponse({"error": code[status]}, status_code=status)
        if addressee_id != "100001":
            return JSONResponse({"error": "unknown_addressee"}, status_code=404)
        return None

    async def view(request: Request):
        await record(request)
        addressee_id = request.path_params["addressee_id"]
        return forced(addressee_id) or JSONResponse({**CASE, "addressee_id": addressee_id})

    async def contact(request: Request):
        call = await record(request)
        if (answer := forced(request.path_params["addressee_id"])) is not None:
            return answer
        import json

        body = json.loads(call["body"])
        problems = []
        if not body.get("summary"):
            problems.append("summary:string_too_short")
        if body.get("channel") not in ("phone", "visit", "counter", "letter", "other"):
            problems.append("channel:literal_error")
        if problems:
            return JSONResponse({"error": "invalid body: " + ", ".join(problems)}, status_code=422)
        return JSONResponse({"result": "c-1"}, status_code=201)

    async def worklist(request: Request):
        """Like collection: own list by default, another 担当's or "*" with worklists.team."""
        await record(request)
        principal = request.state.principal
        assignee = request.query_params.get("assignee") or principal.user
        if assignee != principal.user and not principal.can("collection:worklists.team"):
            return JSONResponse({"error": "forbidden"}, status_code=403)
        kind = request.path_params["kind"]
        if kind == "cases" and assignee == "*":
            return JSONResponse({"error": "assignee:required_for_cases"}, status_code=422)
        page, per_page = int(request.query_params.get("page", "1")), int(request.query_params["per_page"])
        rows = [dict(WORKLIST_ROW, addressee_id=str(100001 + n)) for n in range(WORKLIST_TOTAL)]
        items = rows[(page - 1) * per_page : page * per_page]
        return JSONResponse(
            {
                "kind": kind,
                "as_of": "2026-07-10",
                "assignee": assignee,
                "page": page,
                "per_page": per_page,
                "total": len(rows),
                "items": items,
            }
        )

    async def search(request: Request):
        await record(request)
        return JSONResponse({"results": [], "truncated": False})

    # -- refunds: the queues, 起案/決裁 with the separation of duties, the explanations, files --
    def stage_of(r: dict) -> str | None:
        if r["status"] == "approved":
            return "to_pay"
        if r["status"] == "pending_approval":
            return "to_approve" if r["prepared_by"] else "to_prepare"
        return None

    async def refund_list(request: Request):
        await record(request)
        q = request.query_params
        rows = [r for r in upstream.refunds.values() if q.get("stage") in (None, stage_of(r))]
        if "limit" in q:
            offset = int(q.get("offset", "0"))
            rows = rows[offset : offset + int(q["limit"])]
        return JSONResponse(rows)

    def refund_or_404(request: Request):
        found = upstream.refunds.get(request.path_params["refund_id"])
        return found, (None if found else JSONResponse({"error": "unknown refund"}, status_code=404))

    async def refund_one(request: Request):
        await record(request)
        found, missing = refund_or_404(request)
        return missing or JSONResponse({**found, "transfer_results": []})

    async def prepare(request: Request):
        await record(request)
        found, missing = refund_or_404(request)
        if missing:
            return missing
        if stage_of(found) != "to_prepare":
            refund_id = found["refund_id"]
            return JSONResponse(
                {"error": f"refund {refund_id} is {found['status']}, not pending approval"}, 409
            )
        found.update(prepared_by=request.state.principal.user, prepared_on="2026-07-10")
        return JSONResponse(found)

    async def approve(request: Request):
        await record(request)
        found, missing = refund_or_404(request)
        if missing:
            return missing
        if found["prepared_by"] == request.state.principal.user:
            return JSONResponse({"error": SEPARATION_OF_DUTIES}, status_code=403)
        if stage_of(found) != "to_approve":
            return JSONResponse(
                {"error": f"refund {found['refund_id']} is {found['status']}, not pending approval"}, 409
            )
        found.update(
            status="approved",
            approved_by=request.state.principal.user,
            decided_on="2026-07-10",
            refund_interest=5200,
            interest_parts=[INTEREST_PART],
        )
        return JSONResponse(found)

    async def overpayment(request: Request):
        await record(request)
        if request.path_params["overpayment_id"] != "op-0001":
            return JSONResponse({"error": "unknown overpayment"}, status_code=404)
        return JSONResponse(
            {
                "overpayment_id": "op-0001",
                "addressee_id": "100001",
                "notice_number": "R8-000001",
                "installment_no": 1,
                "amount": 1230000,
                "appropriated": 30000,
                "refunded": 1200000,
                "withdrawn": 0,
                "held": 0,
                "cause": "erroneous_payment",
                "arose_on": "2026-07-01",
                "paid_on": "2026-06-30",
                "status": "refund_decided",
                "hold_reason": None,
                "interest_parts": [INTEREST_PART, *APPROPRIATION["interest_parts"]],
                "interest_owed": 0,
                "appropriations": [APPROPRIATION],
                "refunds": list(upstream.refunds.values())[:1],
                "withdrawals": [],
                "recovery_claims": [],
            }
        )

    async def listing(request: Request):
        await record(request)
        return JSONResponse(
            {
                "/appropriations": [APPROPRIATION],
                "/payouts": [
                    {
                        "batch_id": "pb-0001",
                        "transfer_date": "2026-07-13",
                        "approved_on": "2026-07-10",
                        "count": 1,
                        "total": 1205200,
                        "skipped": [{"refund_id": "rf-0002", "reason": "no_payee_account"}],
                        "created_by": "kanpu02",
                        "created_at": "2026-07-10T01:00:00+00:00",
                    }
                ],
                "/transfers/returned": [],
                "/overpayments": [],
            }[request.url.path]
        )

    async def file(request: Request):
        await record(request)
        media = "application/pdf" if request.url.path.endswith(".pdf") else "application/octet-stream"
        return Response(
            b"%PDF-1.4 stand-in" if media == "application/pdf" else b"1210000000", media_type=media
        )

    # -- receipts: imports (a file named refused.txt is refused whole), lists, assignment, 日計 --
    async def import_file(request: Request):
        call = await record(request)
        kind = request.path_params["kind"]
        if kind not in ("zengin-result", "cvs", "ocr", "mpn", "eltax"):
            return JSONResponse({"error": "kind must be one of zengin-result, cvs, ocr, mpn, eltax"}, 422)
        name = request.query_params.get("file", "")
        if call["body"] == "again":
            return JSONResponse(
                {"batch_id": "", "status": "already_imported", "previous_batch_id": "ib-0001"}
            )
        status = 422 if name == "refused.txt" else 202
        return JSONResponse(
            {**IMPORT_BATCH, "file": name, "status": "refused" if status == 422 else "held"}, status
        )

    async def import_batches(request: Request):
        await record(request)
        return JSONResponse({"items": [{k: v for k, v in IMPORT_BATCH.items() if k != "errors"}]})

    async def import_batch(request: Request):
        await record(request)
        if request.path_params["batch_id"] != "ib-0001":
            return JSONResponse({"error": "no import batch with this id"}, 422)
        return JSONResponse(IMPORT_BATCH)

    async def unmatched(request: Request):
        await record(request)
        q = request.query_params
        rows = [
            r
            for r in upstream.unmatched.values()
            if all(q.get(k) in (None, r[k]) for k in ("notice_number", "channel", "batch_id"))
            and (q.get("paid_from") is None or r["paid_on"] >= q["paid_from"])
            and (q.get("paid_to") is None or r["paid_on"] <= q["paid_to"])
        ]
        offset, limit = int(q.get("offset", 0)), int(q.get("limit", 500))
        return JSONResponse({"total": len(rows), "items": rows[offset : offset + limit]})

    def one(items: dict, key: str, missing: str):
        async def endpoint(request: Request):
            await record(request)
            found = items.get(request.path_params[key])
            return JSONResponse({"error": missing}, 404) if found is None else JSONResponse(found)

        return endpoint

    unmatched_one = one(upstream.unmatched, "receipt_id", "no unmatched receipt with this id")
    suspense_one = one(upstream.suspense, "suspense_id", "no suspense item with this id")

    async def receipts_of_notice(request: Request):
        await record(request)
        notice = request.query_params.get("notice_number")
        rows = [RECEIPT, {**RECEIPT, "receipt_id": "rc-0101", "state": "reversed"}]
        return JSONResponse({"items": [r for r in rows if r["notice_number"] == notice]})

    async def receipt_one(request: Request):
        await record(request)
        if request.path_params["receipt_id"] != RECEIPT["receipt_id"]:
            return JSONResponse({"error": "no receipt with this id"}, 404)
        return JSONResponse(RECEIPT)

    async def correction_list(request: Request):
        await record(request)
        status = request.query_params.get("status", "pending")
        rows = [c for c in upstream.corrections.values() if status in ("all", c["status"])]
        return JSONResponse({"total": len(rows), "items": rows})

    async def correction_propose(request: Request):
        import json

        call = await record(request)
        body = json.loads(call["body"])
        if not body.get("reason"):
            return JSONResponse({"error": "reason: a correction needs a reason"}, 422)
        if body["kind"] == "move" and body.get("notice_number") != "R8-000002":
            return JSONResponse({"error": "notice_number: no such 通知書番号 × 期別 in the ledger"}, 422)
        if any(
            c["receipt_id"] == body["receipt_id"] and c["status"] == "pending"
            for c in upstream.corrections.values()
        ):
            return JSONResponse({"error": "receipt_id: a correction of this receipt is already pending"}, 409)
        correction_id = f"co-{len(upstream.corrections) + 1:04d}"
        upstream.corrections[correction_id] = {
            **{k: RECEIPT[k] for k in ("receipt_id", "channel", "notice_number", "installment_no", "amount")},
            **{k: RECEIPT[k] for k in ("paid_on", "booked_on")},
            "correction_id": correction_id,
            "kind": body["kind"],
            "target_notice_number": body.get("notice_number"),
            "target_installment_no": body.get("installment_no"),
            "reason": body["reason"],
            "status": "pending",
            "proposed_by": call["user"],
            "proposed_on": "2026-07-10",
            "decided_by": None,
            "decided_on": None,
            "decision_note": None,
        }
        return JSONResponse({"correction_id": correction_id, "status": "pending"}, 201)

    async def correction_decide(request: Request):
        import json

        call = await record(request)
        found = upstream.corrections.get(request.path_params["correction_id"])
        if found is None:
            return JSONResponse({"error": "no correction with this id"}, 422)
        if found["status"] != "pending":
            return JSONResponse({"error": f"the correction is already {found['status']}"}, 409)
        if found["proposed_by"] == call["user"]:
            return JSONResponse(
                {
                    "error": "the approver must be a different staff member from the proposer (separation of duties)"
                },
                422,
            )
        approve = request.url.path.endswith("/approve")
        note = json.loads(call["body"] or "{}").get("note")
        found.update(
            status="approved" if approve else "rejected",
            decided_by=call["user"],
            decided_on="2026-07-10",
            decision_note=note,
        )
        return JSONResponse({"correction_id": found["correction_id"], "status": found["status"]})

    def audit_routes(service: str, prefix: str) -> list[Route]:
        async def verify(request: Request):
            await record(request)
            found = upstream.audit_verify.get(service)
            if found is None:
                return Response("Not Found", 404)
            return JSONResponse(found, 200 if found["ok"] else 409)

        async def entries(request: Request):
            await record(request)
            if upstream.audit_verify.get(service) is None:
                return Response("Not Found", 404)
            # as osame_chassis.audit_http: chain order (oldest first), page/per_page, no other keys
            allowed = {"action", "addressee_id", "from_date", "to_date", "page", "per_page"}
            if set(request.query_params) - allowed:
                return JSONResponse({"error": "invalid query"}, 422)
            page = int(request.query_params.get("page", 1))
            per_page = int(request.query_params.get("per_page", 100))
            rows = [{**AUDIT_ENTRY, "id": n} for n in range(1, 121)]
            start = (page - 1) * per_page
            return JSONResponse({"total": 120, "entries": rows[start : start + per_page]})

        guard = auth.require(f"{prefix}:audit.read")
        return [
            Route(f"/{service}/audit/verify", guard(verify), methods=["GET"]),
            Route(f"/{service}/audit", guard(entries), methods=["GET"]),
        ]

    async def batch_runs(request: Request):
        await record(request)
        return JSONResponse({"total": 1, "items": [RUN]})

    def target(call: dict):
        import json

        body = json.loads(call["body"])
        if body.get("notice_number") != "R8-000001":
            return JSONResponse({"error": "no such installment in the ledger"}, 422)
        return None

    async def assign(request: Request):
        call = await record(request)
        if upstream.unmatched.pop(request.path_params["receipt_id"], None) is None:
            return JSONResponse({"error": "no unmatched receipt with this id"}, 422)
        if (refused := target(call)) is not None:
            upstream.unmatched["rc-0001"] = dict(UNMATCHED)
            return refused
        return JSONResponse({"receipt_id": "rc-0001", "applied": 12000, "overpaid": 0})

    async def suspense_list(request: Request):
        await record(request)
        status = request.query_params.get("status", "held")
        rows = [s for s in upstream.suspense.values() if status in ("all", s["status"])]
        return JSONResponse({"items": rows})

    async def resolve(request: Request):
        call = await record(request)
        item = upstream.suspense.get(request.path_params["suspense_id"])
        if item is None or item["status"] != "held":
            return JSONResponse({"error": "no held suspense item with this id"}, 422)
        if (refused := target(call)) is not None:
            return refused
        import json

        if "amount" not in json.loads(call["body"]):
            return JSONResponse({"error": "amount is required: the record's amount was unreadable"}, 422)
        item["status"] = "resolved"
        return JSONResponse({"receipt_id": "rc-0002", "applied": 4000, "overpaid": 0})

    async def return_money(request: Request):
        await record(request)
        item = upstream.suspense.get(request.path_params["suspense_id"])
        if item is None or item["status"] != "held":
            return JSONResponse({"error": "no held suspense item with this id"}, 422)
        item["status"] = "returned"
        return JSONResponse({"suspense_id": item["suspense_id"], "status": "returned"})

    async def daily(request: Request):
        await record(request)
        day = request.query_params.get("booked_on", "2026-07-10")
        if day > "2026-07-10":
            return JSONResponse(
                {"error": f"booked_on {day} is outside the plausible window 2021-07-10..2026-08-09"}, 422
            )
        return JSONResponse({**DAILY, "booked_on": day})

    def receipts_route(path: str, endpoint, permission: str, method: str = "GET") -> Route:
        return Route(path, auth.require(f"receipts:{permission}")(endpoint), methods=[method])

    def refunds_route(path: str, endpoint, permission: str, method: str = "GET") -> Route:
        return Route(path, auth.require(f"refunds:{permission}")(endpoint), methods=[method])

    return Starlette(
        routes=[
            receipts_route("/api/imports/{kind}", import_file, "import.run", "POST"),
            receipts_route("/api/import-batches", import_batches, "import.read"),
            receipts_route("/api/import-batches/{batch_id}", import_batch, "import.read"),
            receipts_route("/api/unmatched", unmatched, "unmatched.read"),
            receipts_route("/api/unmatched/{receipt_id}", unmatched_one, "unmatched.read"),
            receipts_route("/api/suspense/{suspense_id}", suspense_one, "suspense.read"),
            receipts_route("/api/receipts", receipts_of_notice, "correction.read"),
            receipts_route("/api/receipts/{receipt_id}", receipt_one, "correction.read"),
            receipts_route("/api/corrections", correction_list, "correction.read"),
            receipts_route("/api/corrections", correction_propose, "correction.propose", "POST"),
            receipts_route(
                "/api/corrections/{correction_id}/approve", correction_decide, "correction.approve", "POST"
            ),
            receipts_route(
                "/api/corrections/{correction_id}/reject", correction_decide, "correction.approve", "POST"
            ),
            *audit_routes("receipts", "receipts"),
            *audit_routes("refunds", "refunds"),
            Route("/batches", auth.require("collection:batches.read")(batch_runs), methods=["GET"]),
            receipts_route("/api/unmatched/{receipt_id}/assign", assign, "unmatched.assign", "POST"),
            receipts_route("/api/suspense", suspense_list, "suspense.read"),
            receipts_route("/api/suspense/{suspense_id}/resolve", resolve, "suspense.resolve", "POST"),
            receipts_route("/api/suspense/{suspense_id}/return", return_money, "suspense.resolve", "POST"),
            receipts_route("/api/daily-totals", daily, "daily-totals.read"),
            refunds_route("/refunds", refund_list, "refund.read"),
            refunds_route("/refunds/{refund_id}", refund_one, "refund.read"),
            refunds_route("/refunds/{refund_id}/prepare", prepare, "refund.prepare", "POST"),
            refunds_route("/refunds/{refund_id}/approve", approve, "refund.approve", "POST"),
            refunds_route("/refunds/{refund_id}/notice.pdf", file, "notice.read"),
            refunds_route("/appropriations/{appropriation_id}/notice.pdf", file, "notice.read"),
            refunds_route("/payouts/{batch_id}/file", file, "payout.read"),
            refunds_route("/overpayments/{overpayment_id}", overpayment, "overpayment.read"),
            refunds_route("/overpayments", listing, "overpayment.read"),
            refunds_route("/appropriations", listing, "appropriation.read"),
            refunds_route("/payouts", listing, "payout.read"),
            refunds_route("/transfers/returned", listing, "payout.read"),
            Route("/cases/{addressee_id}", auth.require("collection:cases.read")(view), methods=["GET"]),
            Route("/worklists/{kind}", auth.require("collection:worklists.read")(worklist), methods=["GET"]),
            Route(
                "/cases/{addressee_id}/contacts",
                auth.require("collection:cases.write")(contact),
                methods=["POST"],
            ),
            Route(
                "/addressees/search", auth.require("address-sync:addressee.read")(search), methods=["POST"]
            ),
        ]
    )


@dataclass
class Harness:
    client: TestClient
    issuer: TestClient
    upstream: Upstream
    app: Starlette

    def sign_in(self, user: str, next_path: str = "/") -> httpx.Response:
        """The browser's round trip: console → issuer's login page → choose `user` → console."""
        start = self.client.get("/auth/login", params={"next": next_path}, follow_redirects=False)
        assert start.status_code == 303, start.text
        page = self.issuer.get(start.headers["location"])
        assert page.status_code == 200, page.text
        fields = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', page.text))
        chosen = self.issuer.post(
            "/authorize",
            data={**{k: unescape(v) for k, v in fields.items()}, "user": user},
            follow_redirects=False,
        )
        assert chosen.status_code == 303, chosen.text
        back = urlsplit(chosen.headers["location"])
        assert f"{back.scheme}://{back.netloc}" == CONSOLE
        return self.client.get(back.path + "?" + back.query, follow_redirects=False)

    def callback_query(self, response: httpx.Response) -> dict:
        return parse_qs(urlsplit(response.headers["location"]).query)

    def csrf(self, html: str) -> str:
        return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


@pytest.fixture
def issuer_settings(tmp_path) -> DevIssuerSettings:
    return DevIssuerSettings(
        environment="development",
        directory=tmp_path / "issuer",
        public_url=ISSUER,
        clients={"osame-console": [f"{CONSOLE}/auth/callback"]},
        post_logout_redirect_uris={"osame-console": [f"{CONSOLE}/auth/signed-out"]},
    )


@pytest.fixture
def console_settings(tmp_path) -> ConsoleSettings:
    return ConsoleSettings(
        environment="development",
        public_url=CONSOLE,
        database_url=f"sqlite+aiosqlite:///{tmp_path}/console.db",
        oidc_discovery_url=f"{ISSUER}/.well-known/openid-configuration",
        collection_url=SERVICES,
        address_sync_url=SERVICES,
        refunds_url=SERVICES,
        receipts_url=SERVICES,
        gateway_url="http://127.0.0.1:9",  # nothing listens: a service that does not answer
        business_date="2026-07-10",
        telemetry_enabled=False,
    )


@pytest.fixture
def make_harness(issuer_settings, console_settings):
    made: list[tuple[TestClient, TestClient]] = []

    def make(
        *,
        console_roles: dict | None = None,
        service_roles: dict | None = None,
        tracer_provider=None,
        **changes,
    ):
        issuer_app = build_issuer(issuer_settings)
        jwks = issuer_settings.directory / "jwks.json"
        service_auth = AuthSettings(
            jwks_file=jwks, **({"role_permissions": service_roles} if service_roles else {})
        )
        upstream = Upstream()
        services = upstream_app(Authenticator(service_auth), upstream)
        http = httpx.AsyncClient(
            mounts={
                f"all://{urlsplit(ISSUER).netloc}": httpx.ASGITransport(issuer_app),
                f"all://{urlsplit(SERVICES).netloc}": httpx.ASGITransport(services),
            },
            timeout=5,
        )
        auth = AuthSettings(jwks_file=jwks, **({"role_permissions": console_roles} if console_roles else {}))
        settings = console_settings.model_copy(update=changes)
        app = build_app(settings, auth_settings=auth, http=http, tracer_provider=tracer_provider)
        client = TestClient(app, base_url=CONSOLE).__enter__()
        issuer = TestClient(issuer_app, base_url=ISSUER)
        made.append((client, issuer))
        return Harness(client, issuer, upstream, app)

    yield make
    for client, issuer in made:
        client.__exit__(None, None, None)
        issuer.close()
