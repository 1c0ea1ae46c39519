"""収納訂正 screens: the corrections by status, finding the receipt by 通知書番号, the proposal form,
and approve / refuse by a second staff member.

Thin: parse, call one use case (`service_layer.corrections`), render. A proposal receipts refuses
comes back as the form with each field's message (422); a decision by the proposer comes back as
the list with 決裁できません (403); a done step goes back to the list with a message (303).
"""

from __future__ import annotations

from osame_chassis.openapi import api
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from osame_console.adapters.services import UpstreamError
from osame_console.domain.errors import SEPARATION, InputRefused, Outcome, map_upstream
from osame_console.domain.permissions import Action, allowed, require
from osame_console.entrypoints.schemas import (
    FORM,
    PAGE,
    CorrectionDecisionForm,
    CorrectionForm,
    CorrectionNewQuery,
    CorrectionsQuery,
)
from osame_console.entrypoints.web import Web
from osame_console.service_layer import corrections, receipts
from osame_console.service_layer.signin import StaffSession

DONE = {
    "proposed": "訂正を起案しました。別の職員が承認すると、収納が訂正されます。",
    "approved": "訂正を承認しました。収納は訂正され、台帳・滞納管理・還付に反映されます。",
    "rejected": "訂正を却下しました。収納は変わりません。",
}
AFTER = {"approve": "approved", "reject": "rejected"}


def _form(data) -> dict[str, str]:
    return {k: v for k, v in data.items() if isinstance(v, str) and k != "csrf_token"}


def routes(web: Web) -> list[Route]:
    def render(request, staff, name, status=200, **context) -> Response:
        return web.render(
            request, name, staff, status, tabs=receipts.tabs_for(staff), active="corrections", **context
        )

    async def list_page(request, staff, status_code=200, **context) -> Response:
        status, page = corrections.parse_listing(request.query_params)
        found = await corrections.listing(web.api, staff, status, page)
        return render(
            request,
            staff,
            "receipts_corrections.html",
            status_code,
            listing=found,
            may_propose=allowed(staff, Action.CORRECTION_PROPOSE),
            may_decide=allowed(staff, Action.CORRECTION_APPROVE),
            done=DONE.get(request.query_params.get("done", "")),
            **context,
        )

    @api("収納: 収納訂正 (the corrections by status)", query=CorrectionsQuery, media=PAGE)
    async def corrections_page(request: Request, staff: StaffSession) -> Response:
        return await list_page(request, staff)

    @api(
        "収納: 収納訂正 起案 (find the receipt by 通知書番号, then its form)",
        query=CorrectionNewQuery,
        errors=(404,),
        media=PAGE,
    )
    async def new_page(request: Request, staff: StaffSession) -> Response:
        require(staff, Action.CORRECTION_PROPOSE)
        q = request.query_params
        if q.get("receipt_id"):
            found = await corrections.receipt(web.api, staff, q.get("receipt_id"))
            return render(
                request, staff, "receipts_correction_new.html", receipt=found, form={"kind": ""}, errors={}
            )
        rows, errors = None, {}
        if "notice_number" in q:
            try:
                rows = await corrections.receipts_of_notice(web.api, staff, q.get("notice_number"))
            except InputRefused as refused:
                errors = refused.fields
        return render(
            request,
            staff,
            "receipts_correction_find.html",
            422 if errors else 200,
            rows=rows,
            search={"notice_number": q.get("notice_number", "")},
            errors=errors,
            correctable=corrections.correctable,
        )

    @api(
        "収納: 収納訂正 起案 (propose)",
        body=CorrectionForm,
        body_media=FORM,
        status=303,
        errors=(404, 409),
        media=PAGE,
    )
    async def propose(request: Request, staff: StaffSession) -> Response:
        require(staff, Action.CORRECTION_PROPOSE)
        form = _form(await request.form())
        found = await corrections.receipt(web.api, staff, form.get("receipt_id"))
        refusal = None
        try:
            await corrections.propose(web.api, staff, form)
        except InputRefused as refused:
            errors = refused.fields
        except UpstreamError as exc:
            error = map_upstream(exc.status, exc.code)
            if error.outcome not in (Outcome.INVALID, Outcome.CONFLICT):
                raise
            errors, refusal = error.fields, None if error.fields else error
        else:
            return RedirectResponse("/receipts/corrections?done=proposed", status_code=303)
        return render(
            request,
            staff,
            "receipts_correction_new.html",
            refusal.status if refusal else 422,
            receipt=found,
            form=form,
            errors=errors,
            refusal=refusal,
        )

    def decision(step: str):
        async def endpoint(request: Request, staff: StaffSession) -> Response:
            require(staff, Action.CORRECTION_APPROVE)
            form = _form(await request.form())
            try:
                await corrections.decide(web.api, staff, request.path_params["correction_id"], step, form)
            except (InputRefused, UpstreamError) as exc:
                error = (
                    exc.user_error() if isinstance(exc, InputRefused) else map_upstream(exc.status, exc.code)
                )
                separation = isinstance(exc, UpstreamError) and exc.code in SEPARATION
                if error.outcome not in (Outcome.INVALID, Outcome.CONFLICT) and not separation:
                    raise  # 権限, not found, sign in again, unavailable: the page guard's pages
                return await list_page(request, staff, error.status, refusal=error)
            return RedirectResponse(
                f"/receipts/corrections?status={AFTER[step]}&done={AFTER[step]}", status_code=303
            )

        endpoint.__name__ = f"correction_{step}"
        label = "承認" if step == "approve" else "却下"
        api(
            f"収納: 収納訂正 {label} (a staff member other than the proposer)",
            body=CorrectionDecisionForm,
            body_media=FORM,
            status=303,
            errors=(404, 409),
            media=PAGE,
        )(endpoint)
        return endpoint

    page = web.page
    return [
        Route("/receipts/corrections", page(corrections_page), methods=["GET"]),
        Route("/receipts/corrections", page(propose), methods=["POST"]),
        Route("/receipts/corrections/new", page(new_page), methods=["GET"]),
        Route("/receipts/corrections/{correction_id}/approve", page(decision("approve")), methods=["POST"]),
        Route("/receipts/corrections/{correction_id}/reject", page(decision("reject")), methods=["POST"]),
    ]
