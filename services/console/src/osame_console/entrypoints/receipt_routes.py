"""収納 screens: ファイル取込 with its progress and result, 取込履歴, 未消込 and 保留 with search and
"assign to 通知書/期別", 日計.

Thin, like the other screens: parse, call one use case, render. The upload is POSTed by htmx (the
browser reports the upload's progress; the page then shows that receipts is importing) or as a
plain form without script; either way a done import goes to its batch's result page. An
assignment that receipts refuses is shown again with each field's message (422); a done one
goes back to its list with a message (303).
"""

from __future__ import annotations

from osame_chassis.openapi import api
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from osame_console.adapters.services import UpstreamError
from osame_console.domain import forms
from osame_console.domain.errors import InputRefused, Outcome, UserError, map_upstream
from osame_console.domain.permissions import Action, allowed, require, require_screen
from osame_console.entrypoints.schemas import (
    FORM,
    MULTIPART,
    PAGE,
    AssignForm,
    DailyQuery,
    ImportBatchesQuery,
    ImportBatchQuery,
    ImportForm,
    ResolveForm,
    ReturnForm,
    SuspenseQuery,
    UnmatchedQuery,
)
from osame_console.entrypoints.web import Web, field_messages
from osame_console.service_layer import receipts
from osame_console.service_layer.signin import StaffSession

DONE = {
    "assigned": "消込しました。収納は指定した通知書・期別に充当されました。",
    "resolved": "保留を解消しました。収納は指定した通知書・期別に充当されました。",
    "returned": "保留を返還済みにしました（計上はしていません）。",
}
ID_FIELD = {"unmatched": "receipt_id", "suspense": "suspense_id"}
LIST_QUERY = {"unmatched": UnmatchedQuery, "suspense": SuspenseQuery}
# (list, step) → (the use case doing it, the message key once done, the form it reads, its name)
STEPS = {
    ("unmatched", "assign"): (receipts.assign, "assigned", AssignForm, "収納: 未消込 消込 to 通知書/期別"),
    ("suspense", "resolve"): (receipts.resolve, "resolved", ResolveForm, "収納: 保留 解消 to 通知書/期別"),
    ("suspense", "return"): (receipts.return_money, "returned", ReturnForm, "収納: 保留 返還済みにする"),
}


def _form(data) -> dict[str, str]:
    return {k: v for k, v in data.items() if isinstance(v, str) and k != "csrf_token"}


def routes(web: Web) -> list[Route]:
    def render(request, staff, name, status=200, **context) -> Response:
        return web.render(
            request,
            name,
            staff,
            status,
            tabs=receipts.tabs_for(staff),
            kinds=receipts.IMPORT_KINDS,
            **context,
        )

    def refused_search(request, staff, template: str, active: str, refused: InputRefused) -> Response:
        """A list's search form again with each malformed term named; nothing was asked of receipts."""
        require_screen(staff, "receipts")
        return render(
            request,
            staff,
            template,
            422,
            active=active,
            rows=None,
            search=dict(request.query_params),
            errors=refused.fields,
        )

    # -- ファイル取込 ---------------------------------------------------------------------------------

    @api("収納: ファイル取込 (the form)", also={303: "To the first 収納 tab the user may open"}, media=PAGE)
    async def receipts_home(request: Request, staff: StaffSession) -> Response:
        require_screen(staff, "receipts")
        if not allowed(staff, Action.IMPORT_RUN):
            return RedirectResponse(receipts.tabs_for(staff)[0].path, status_code=303)
        return render(request, staff, "receipts_import.html", active="import", form={}, errors={})

    @api(
        "収納: import a file (plain form or htmx)",
        body=ImportForm,
        body_media=MULTIPART,
        status=303,
        also={200: "htmx: HX-Redirect to the batch's page, or the form again with its messages"},
        media=PAGE,
    )
    async def upload(request: Request, staff: StaffSession) -> Response:
        htmx = request.headers.get("hx-request") == "true"
        require(staff, Action.IMPORT_RUN)  # before reading a file the user may not import
        data = await request.form()
        kind = data.get("kind") if isinstance(data.get("kind"), str) else None
        chosen = data.get("file")
        # one byte over the limit is enough to refuse it (the rest stays in the spooled upload)
        content = await chosen.read(receipts.MAX_UPLOAD_BYTES + 1) if isinstance(chosen, UploadFile) else None
        name = chosen.filename if isinstance(chosen, UploadFile) else None
        try:
            batch_id, again = await receipts.import_file(
                web.api, staff, kind, name, content, web.settings.import_timeout_seconds
            )
        except InputRefused as refused:
            errors, refusal = refused.fields, None
        except UpstreamError as exc:
            error = map_upstream(exc.status, exc.code)
            if error.outcome is Outcome.SIGN_IN_AGAIN or not htmx:
                raise
            errors, refusal = error.fields, error  # shown in the form htmx swaps in
        else:
            target = f"/receipts/imports/{batch_id}" + ("?again=1" if again else "")
            if htmx:
                return Response(status_code=200, headers={"HX-Redirect": target})
            return RedirectResponse(target, status_code=303)
        # htmx swaps 2xx answers only: the form with its messages comes back as 200 to htmx.
        return render(
            request,
            staff,
            "_import_form.html" if htmx else "receipts_import.html",
            200 if htmx else 422,
            active="import",
            form={"kind": kind or ""},
            errors=errors,
            refusal=refusal,
        )

    @api("収納: an import's result", query=ImportBatchQuery, errors=(404,), media=PAGE)
    async def batch_page(request: Request, staff: StaffSession) -> Response:
        batch = await receipts.import_batch(web.api, staff, request.path_params["batch_id"])
        return render(
            request,
            staff,
            "receipts_batch.html",
            active="batches",
            batch=batch,
            again=request.query_params.get("again") == "1",
        )

    @api("収納: 取込履歴", query=ImportBatchesQuery, media=PAGE)
    async def batches_page(request: Request, staff: StaffSession) -> Response:
        try:
            search = receipts.parse_batch_search(request.query_params)
        except InputRefused as refused:
            return refused_search(request, staff, "receipts_batches.html", "batches", refused)
        rows = await receipts.import_batches(web.api, staff, search)
        return render(
            request, staff, "receipts_batches.html", active="batches", rows=rows, search=search, errors={}
        )

    # -- 未消込・保留 ----------------------------------------------------------------------------------

    def listing(which: str):
        async def endpoint(request: Request, staff: StaffSession) -> Response:
            try:
                search = receipts.parse_search(request.query_params)
            except InputRefused as refused:
                return refused_search(request, staff, "receipts_list.html", which, refused)
            if which == "unmatched":
                found = await receipts.unmatched(
                    web.api, staff, search, forms.page_number(request.query_params)
                )
                rows, pager = found.rows, found
            else:
                rows, pager = await receipts.suspense(web.api, staff, search), None
            action = Action.UNMATCHED_ASSIGN if which == "unmatched" else Action.SUSPENSE_RESOLVE
            return render(
                request,
                staff,
                "receipts_list.html",
                active=which,
                rows=rows,
                pager=pager,
                search=search.as_form(),
                errors={},
                may_assign=allowed(staff, action),
                done=DONE.get(request.query_params.get("done", "")),
            )

        endpoint.__name__ = f"{which}_page"
        label = "未消込" if which == "unmatched" else "保留（サスペンス）"
        api(f"収納: {label} (the list and its search)", query=LIST_QUERY[which], media=PAGE)(endpoint)
        return endpoint

    async def find_item(staff, which: str, item_id: str) -> dict:
        find = receipts.unmatched_item if which == "unmatched" else receipts.suspense_item
        return await find(web.api, staff, item_id)

    def item_page(which: str):
        async def endpoint(request: Request, staff: StaffSession) -> Response:
            item = await find_item(staff, which, request.path_params["item_id"])
            return render(request, staff, "receipts_assign.html", active=which, item=item, form={}, errors={})

        endpoint.__name__ = f"{which}_item"
        api(f"収納: a {which} item and its 割当 form", errors=(404,), media=PAGE)(endpoint)
        return endpoint

    def item_step(which: str, step: str):
        use_case, done, form_model, summary = STEPS[which, step]

        async def endpoint(request: Request, staff: StaffSession) -> Response:
            item_id = request.path_params["item_id"]
            item = await find_item(staff, which, item_id)
            form = _form(await request.form())
            refusal: UserError | None = None
            try:
                await use_case(web.api, staff, item_id, form)
            except InputRefused as refused:
                errors = refused.fields
            except UpstreamError as exc:
                error = map_upstream(exc.status, exc.code)
                if error.outcome not in (Outcome.INVALID, Outcome.CONFLICT):
                    raise
                errors, refusal = error.fields, None if error.fields else error
            else:
                return RedirectResponse(f"/receipts/{which}?done={done}", status_code=303)
            return render(
                request,
                staff,
                "receipts_assign.html",
                refusal.status if refusal else 422,
                active=which,
                item=item,
                form=form,
                errors=errors,
                refusal=refusal,
                step=step,
            )

        endpoint.__name__ = f"{which}_{step}"
        api(summary, body=form_model, body_media=FORM, status=303, errors=(404, 409), media=PAGE)(endpoint)
        return endpoint

    # -- 日計 ---------------------------------------------------------------------------------------

    @api("収納: 日計", query=DailyQuery, media=PAGE)
    async def daily_page(request: Request, staff: StaffSession) -> Response:
        typed = request.query_params.get("booked_on")
        try:
            totals = await receipts.daily_totals(web.api, staff, typed)
        except (InputRefused, UpstreamError) as exc:
            errors = field_messages(exc, "booked_on")
        else:
            errors = None
        if errors is not None:
            return render(
                request,
                staff,
                "receipts_daily.html",
                422,
                active="daily",
                totals=None,
                typed=typed,
                errors=errors,
            )
        return render(
            request, staff, "receipts_daily.html", active="daily", totals=totals, typed=typed or "", errors={}
        )

    page = web.page
    return [
        Route("/receipts", page(receipts_home), methods=["GET"]),
        Route("/receipts/imports", page(batches_page), methods=["GET"]),
        Route("/receipts/imports", page(upload), methods=["POST"]),
        Route("/receipts/imports/{batch_id}", page(batch_page), methods=["GET"]),
        Route("/receipts/unmatched", page(listing("unmatched")), methods=["GET"]),
        Route("/receipts/unmatched/{item_id}", page(item_page("unmatched")), methods=["GET"]),
        Route("/receipts/unmatched/{item_id}", page(item_step("unmatched", "assign")), methods=["POST"]),
        Route("/receipts/suspense", page(listing("suspense")), methods=["GET"]),
        Route("/receipts/suspense/{item_id}", page(item_page("suspense")), methods=["GET"]),
        Route("/receipts/suspense/{item_id}", page(item_step("suspense", "resolve")), methods=["POST"]),
        Route("/receipts/suspense/{item_id}/return", page(item_step("suspense", "return")), methods=["POST"]),
        Route("/receipts/daily", page(daily_page), methods=["GET"]),
    ]
