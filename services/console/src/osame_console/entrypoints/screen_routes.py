"""The screens: ホーム, 宛名検索, 滞納整理 (case page and its record forms), 夜間バッチ, 管理.

Thin: parse the request, call one use case, render. Every route goes through `Web.page`
(session, CSRF on POST, error pages). A record form that the service refuses is shown again
with the values typed and each field's message (422); a saved one redirects back (303).
"""

from __future__ import annotations

from osame_chassis.openapi import api
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from osame_console.adapters.services import UpstreamError
from osame_console.domain import forms
from osame_console.domain.errors import InputRefused, map_upstream
from osame_console.domain.permissions import Action, allowed, require_screen
from osame_console.entrypoints.schemas import (
    FORM,
    PAGE,
    AddresseeQuery,
    AuditTrailQuery,
    BatchLookupQuery,
    CaseQuery,
    CsrfForm,
    RecordForm,
    RecordPath,
    SearchForm,
    WorklistPath,
    WorklistQuery,
)
from osame_console.entrypoints.web import Web, attachment, field_messages
from osame_console.service_layer import addressees, admin, batches, cases, worklists
from osame_console.service_layer.signin import StaffSession

SAVED = {
    "contacts": "折衝記録を登録しました。",
    "pledges": "分納誓約を登録しました。",
    "inquiries": "財産調査を登録しました。",
    "dispositions": "処分を登録しました。",
    "stays": "執行停止を登録しました。",
}


def routes(web: Web) -> list[Route]:
    @api("ホーム", media=PAGE)
    async def home(request: Request, staff: StaffSession) -> Response:
        return web.render(request, "home.html", staff)

    # -- 宛名検索 ---------------------------------------------------------------------------------

    @api("宛名検索 (the form)", media=PAGE)
    async def search_page(request: Request, staff: StaffSession) -> Response:
        require_screen(staff, "addressees")
        return web.render(request, "addressees.html", staff, form={}, result=None, errors={})

    @api("宛名検索 (results; the partial for htmx)", body=SearchForm, body_media=FORM, media=PAGE)
    async def search(request: Request, staff: StaffSession) -> Response:
        form = dict(await request.form())
        template = (
            "_search_results.html" if request.headers.get("hx-request") == "true" else "addressees.html"
        )
        try:
            result = await addressees.search(web.api, staff, form.get("addressee_id"), form.get("name_kana"))
        except InputRefused as refused:
            return web.render(request, template, staff, 422, form=form, result=None, errors=refused.fields)
        return web.render(
            request,
            template,
            staff,
            form=form,
            result=result,
            errors={},
            may_open_case=allowed(staff, Action.CASE_READ),
        )

    # -- 滞納整理 ---------------------------------------------------------------------------------

    @api("滞納整理: look a case up by 宛名番号", query=AddresseeQuery, also={303: "To the case"}, media=PAGE)
    async def case_lookup(request: Request, staff: StaffSession) -> Response:
        require_screen(staff, "cases")
        typed = request.query_params.get("addressee_id")
        if typed is not None:
            found = forms.addressee_id(typed)
            if found is not None:
                return RedirectResponse(f"/cases/{found}", status_code=303)
            errors = {"addressee_id": "宛名番号は半角数字15桁以内で入力してください"}
            return web.render(request, "case_lookup.html", staff, 422, errors=errors, typed=typed)
        return web.render(request, "case_lookup.html", staff, errors={}, typed="")

    async def render_case(request, staff, addressee_id, *, status=200, active=None, form=None, errors=None):
        view = await cases.view_case(web.api, staff, addressee_id, web.settings.today())
        saved = SAVED.get(request.query_params.get("saved", ""))
        return web.render(
            request,
            "case.html",
            staff,
            status,
            case=view,
            may=cases.may_record(staff),
            saved=saved,
            active=active,
            form=form or {},
            errors=errors or {},
            pledge_rows=range(cases.PLEDGE_ROWS),
        )

    @api("滞納整理: a case", query=CaseQuery, media=PAGE)
    async def case_page(request: Request, staff: StaffSession) -> Response:
        return await render_case(request, staff, request.path_params["addressee_id"])

    @api(
        "滞納整理: save a record form",
        path=RecordPath,
        body=RecordForm,
        body_media=FORM,
        status=303,
        media=PAGE,
    )
    async def case_record(request: Request, staff: StaffSession) -> Response:
        addressee_id = request.path_params["addressee_id"]
        kind = request.path_params["kind"]
        if kind not in cases.RECORDS:
            return web.error_page(request, staff, map_upstream(404))
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str) and k != "csrf_token"}
        try:
            await cases.record(web.api, staff, addressee_id, kind, form)
        except (InputRefused, UpstreamError) as exc:
            errors = field_messages(exc)
        else:
            return RedirectResponse(f"/cases/{addressee_id}?saved={kind}#{kind}", status_code=303)
        return await render_case(
            request, staff, addressee_id, status=422, active=kind, form=form, errors=errors
        )

    # -- 担当一覧 (worklists) ---------------------------------------------------------------------

    async def render_worklist(request: Request, staff: StaffSession) -> Response:
        query = request.query_params
        found = await worklists.worklist(
            web.api,
            staff,
            request.path_params.get("kind"),
            assignee=query.get("assignee"),
            page=query.get("page"),
            windows={name: query.get(name) for name in worklists.WINDOWS},
        )
        return web.render(
            request,
            "worklists.html",
            staff,
            found=found,
            kinds=worklists.KINDS,
            may_choose=worklists.may_choose_assignee(staff),
            may_open_case=allowed(staff, Action.CASE_READ),
        )

    @api("担当一覧: the user's 担当案件 (the first tab)", query=WorklistQuery, media=PAGE)
    async def worklists_page(request: Request, staff: StaffSession) -> Response:
        return await render_worklist(request, staff)

    @api("担当一覧: one worklist, paged", path=WorklistPath, query=WorklistQuery, media=PAGE)
    async def worklist_page(request: Request, staff: StaffSession) -> Response:
        return await render_worklist(request, staff)

    # -- 夜間バッチ --------------------------------------------------------------------------------

    @api("夜間バッチ", query=BatchLookupQuery, also={303: "To the batch"}, media=PAGE)
    async def batches_page(request: Request, staff: StaffSession) -> Response:
        require_screen(staff, "batches")
        typed = request.query_params.get("batch_id")
        if typed:
            return RedirectResponse(f"/batches/{batches.checked_batch_id(typed)}", status_code=303)
        found = await batches.runs(web.api, staff, forms.page_number(request.query_params))
        return web.render(
            request, "batches.html", staff, may_run=allowed(staff, Action.BATCH_RUN), runs=found
        )

    @api("夜間バッチ: start a run", body=CsrfForm, body_media=FORM, status=303, media=PAGE)
    async def start_nightly(request: Request, staff: StaffSession) -> Response:
        batch_id = await batches.start_nightly(web.api, staff, web.settings.today())
        return RedirectResponse(f"/batches/{batch_id}", status_code=303)

    @api("夜間バッチ: a run's status (and the htmx progress partial)", media=PAGE)
    async def batch_page(request: Request, staff: StaffSession) -> Response:
        status = await batches.view(web.api, staff, request.path_params["batch_id"])
        template = "_batch_status.html" if request.url.path.endswith("/progress") else "batch.html"
        return web.render(
            request, template, staff, batch=status, may_download=allowed(staff, Action.LETTERS_READ)
        )

    def download(kind: str):
        async def endpoint(request: Request, staff: StaffSession) -> Response:
            batch_id = request.path_params["batch_id"]
            found = await batches.letters(web.api, staff, batch_id, kind)
            name = f"letters-{batches.checked_batch_id(batch_id)}.{kind}"
            headers = {**found.headers, "Content-Disposition": attachment(name)}
            return Response(found.content, media_type=found.media_type, headers=headers)

        endpoint.__name__ = f"download_{kind}"
        media = "text/csv" if kind == "csv" else "application/pdf"
        api(f"夜間バッチ: the run's letters ({kind}), as an attachment", media=media)(endpoint)
        return endpoint

    # -- 管理 ---------------------------------------------------------------------------------------

    @api("管理", media=PAGE)
    async def admin_page(request: Request, staff: StaffSession) -> Response:
        panels = await admin.overview(web.api, staff, web.settings, web.store)
        return web.render(request, "admin.html", staff, panels=panels, audited=admin.AUDITED)

    @api(
        "管理: one service's audit trail (newest first) and its chain check",
        query=AuditTrailQuery,
        errors=(404,),
        media=PAGE,
    )
    async def audit_page(request: Request, staff: StaffSession) -> Response:
        typed = request.query_params.get("addressee_id") or None
        page = forms.page_number(request.query_params)
        target, entries, chain = await admin.trail(
            web.api, staff, request.path_params["service"], page, typed
        )
        return web.render(
            request, "admin_audit.html", staff, target=target, entries=entries, chain=chain, typed=typed or ""
        )

    page = web.page
    return [
        Route("/", page(home), methods=["GET"]),
        Route("/addressees", page(search_page), methods=["GET"]),
        Route("/addressees/search", page(search), methods=["POST"]),
        Route("/cases", page(case_lookup), methods=["GET"]),
        Route("/cases/{addressee_id}", page(case_page), methods=["GET"]),
        Route("/cases/{addressee_id}/{kind}", page(case_record), methods=["POST"]),
        Route("/worklists", page(worklists_page), methods=["GET"]),
        Route("/worklists/{kind}", page(worklist_page), methods=["GET"]),
        Route("/batches", page(batches_page), methods=["GET"]),
        Route("/batches/nightly", page(start_nightly), methods=["POST"]),
        Route("/batches/{batch_id}", page(batch_page), methods=["GET"]),
        Route("/batches/{batch_id}/progress", page(batch_page), methods=["GET"]),
        Route("/batches/{batch_id}/letters.csv", page(download("csv")), methods=["GET"]),
        Route("/batches/{batch_id}/sample.pdf", page(download("pdf")), methods=["GET"]),
        Route("/admin", page(admin_page), methods=["GET"]),
        Route("/admin/audit/{service}", page(audit_page), methods=["GET"]),
    ]
