"""還付・充当 screens: the queues, a refund (起案・決裁), an overpayment's explanation, downloads.

Thin, like the other screens: parse, call one use case, render. A 起案 or 決裁 that refunds
refuses (the same user approving, a refund someone else already decided …) is shown on the
refund's page with the reason in Japanese; a done one redirects back with a message (303).
"""

from __future__ import annotations

from osame_chassis.openapi import api
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from osame_console.adapters.services import UpstreamError
from osame_console.domain.errors import Outcome, map_upstream
from osame_console.domain.permissions import Action, allowed
from osame_console.entrypoints.schemas import (
    FORM,
    PAGE,
    CsrfForm,
    RefundQuery,
    RefundQueueQuery,
    RefundStepPath,
)
from osame_console.entrypoints.web import Web, attachment
from osame_console.service_layer import refunds
from osame_console.service_layer.signin import StaffSession


def routes(web: Web) -> list[Route]:
    @api("還付・充当: the work queues", query=RefundQueueQuery, media=PAGE)
    async def queue_page(request: Request, staff: StaffSession) -> Response:
        found = await refunds.queue(
            web.api, staff, request.query_params.get("view"), request.query_params.get("page")
        )
        return web.render(request, "refunds.html", staff, found=found, queues=refunds.queues_for(staff))

    async def render_refund(request, staff, refund_id, *, status=200, refused=None) -> Response:
        found = await refunds.refund(web.api, staff, refund_id)
        done = refunds.STEPS.get(request.query_params.get("done", ""))
        return web.render(
            request,
            "refund.html",
            staff,
            status,
            refund=found,
            may=refunds.may_act(staff, found),
            done=done[2] if done and not refused else None,
            refused=refused,
        )

    @api("還付・充当: a refund (起案・決裁)", query=RefundQuery, media=PAGE)
    async def refund_page(request: Request, staff: StaffSession) -> Response:
        return await render_refund(request, staff, request.path_params["refund_id"])

    @api(
        "還付・充当: 起案 or 決裁 of a refund",
        path=RefundStepPath,
        body=CsrfForm,
        body_media=FORM,
        status=303,
        media=PAGE,
    )
    async def refund_step(request: Request, staff: StaffSession) -> Response:
        refund_id = request.path_params["refund_id"]
        step = request.path_params["step"]
        if step not in refunds.STEPS:
            return web.error_page(request, staff, map_upstream(404))
        try:
            await refunds.act(web.api, staff, refund_id, step)
        except UpstreamError as exc:
            error = map_upstream(exc.status, exc.code)
            if error.outcome in (Outcome.SIGN_IN_AGAIN, Outcome.UNAVAILABLE, Outcome.NOT_FOUND):
                raise
            return await render_refund(request, staff, refund_id, status=error.status, refused=error)
        return RedirectResponse(f"/refunds/{refund_id}?done={step}", status_code=303)

    @api("還付・充当: an overpayment and why", media=PAGE)
    async def overpayment_page(request: Request, staff: StaffSession) -> Response:
        found = await refunds.overpayment(web.api, staff, request.path_params["overpayment_id"])
        return web.render(
            request,
            "overpayment.html",
            staff,
            overpayment=found,
            may_notice=allowed(staff, Action.NOTICE_READ),
            may_refund=allowed(staff, Action.REFUND_READ),
        )

    def download(what: str):
        async def endpoint(request: Request, staff: StaffSession) -> Response:
            found, name = await refunds.download(web.api, staff, what, request.path_params["item_id"])
            headers = {"Content-Disposition": attachment(name)}
            return Response(found.content, media_type=found.media_type, headers=headers)

        endpoint.__name__ = "download_" + what.replace("-", "_")
        media = "application/pdf" if what.endswith("notice") else "application/octet-stream"
        api(f"還付・充当: {what} (attachment)", media=media)(endpoint)
        return endpoint

    page = web.page
    return [
        Route("/refunds", page(queue_page), methods=["GET"]),
        Route("/refunds/overpayments/{overpayment_id}", page(overpayment_page), methods=["GET"]),
        Route("/refunds/payouts/{item_id}/file", page(download("payout-file")), methods=["GET"]),
        Route(
            "/refunds/appropriations/{item_id}/notice.pdf",
            page(download("appropriation-notice")),
            methods=["GET"],
        ),
        Route("/refunds/{refund_id}", page(refund_page), methods=["GET"]),
        Route("/refunds/{item_id}/notice.pdf", page(download("refund-notice")), methods=["GET"]),
        Route("/refunds/{refund_id}/{step}", page(refund_step), methods=["POST"]),
    ]
