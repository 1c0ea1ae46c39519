"""Sign-in and sign-out pages (OpenID Connect authorization code + PKCE, state and nonce).

Cookies: the sign-in binding cookie (the signed `state`, SameSite=Lax so it comes back on the
issuer's top-level redirect, path /auth, lives for the sign-in timeout) and the session cookie
(signed session id, HttpOnly, SameSite=Strict, Secure over https). Because a Strict cookie is not
sent on a navigation another site started, the callback answers a short page that moves on by
itself (a same-site navigation) instead of a redirect.
"""

from __future__ import annotations

from osame_chassis.openapi import api
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from osame_console.domain.errors import Outcome, UserError
from osame_console.domain.oidc import SignInRefused
from osame_console.domain.session import safe_return_path, sign, unsign
from osame_console.entrypoints.schemas import FORM, PAGE, CallbackQuery, CsrfForm, LoginQuery, SignInQuery
from osame_console.entrypoints.web import Web, client_of, now
from osame_console.service_layer.signin import SessionEnded, StaffSession

REASONS = {
    "required": "サインインしてください。",
    "idle": "一定時間操作がなかったため、サインアウトしました。もう一度サインインしてください。",
    "expired": "サインインの有効期限が切れました。もう一度サインインしてください。",
    "service": "サインインの有効期限が切れたか、利用が停止されました。もう一度サインインしてください。",
}

UNAVAILABLE = UserError(
    Outcome.UNAVAILABLE,
    503,
    "サインインできません",
    "認証サーバーに接続できませんでした。しばらくしてから再度お試しください。",
)


def routes(web: Web) -> list[Route]:
    @api(
        "The sign-in page",
        query=SignInQuery,
        public=True,
        also={303: "Already signed in: to next"},
        media=PAGE,
    )
    async def sign_in_page(request: Request) -> Response:
        next_path = safe_return_path(request.query_params.get("next"))
        staff = await web.staff_of(request)
        if isinstance(staff, StaffSession):
            return RedirectResponse(next_path, status_code=303)
        reason = request.query_params.get("reason", "required")
        if isinstance(staff, SessionEnded):
            reason = "idle" if staff.reason.value == "idle" else "expired"
        return web.render(
            request, "sign_in.html", None, message=REASONS.get(reason, REASONS["required"]), next=next_path
        )

    @api(
        "Start OpenID Connect sign-in (to the issuer)",
        query=LoginQuery,
        public=True,
        status=303,
        errors=(503,),
        media=PAGE,
    )
    async def login(request: Request) -> Response:
        try:
            state, url = await web.signin.start(request.query_params.get("next"), now())
        except SignInRefused:
            return web.error_page(request, None, UNAVAILABLE)
        response = RedirectResponse(url, status_code=303)
        response.set_cookie(
            web.sign_in_cookie_name,
            sign(state, web.secret),
            max_age=web.settings.sign_in_timeout_seconds,
            httponly=True,
            samesite="lax",
            secure=web.settings.secure_cookies,
            path="/auth",
        )
        return response

    @api(
        "The issuer's redirect back: sets the session cookie",
        query=CallbackQuery,
        public=True,
        errors=(400,),
        media=PAGE,
    )
    async def callback(request: Request) -> Response:
        query = request.query_params
        try:
            session_id, return_to = await web.signin.finish(
                state=query.get("state"),
                bound_state=unsign(request.cookies.get(web.sign_in_cookie_name), web.secret),
                code=query.get("code"),
                issuer_error=query.get("error"),
                client=client_of(request),
                now=now(),
            )
        except SignInRefused as refused:
            web.metrics.sign_ins.labels(outcome="refused").inc()
            error = UserError(
                Outcome.FORBIDDEN,
                400,
                "サインインできませんでした",
                "サインインを完了できませんでした。もう一度サインインしてください。",
                code=refused.code,
            )
            response = web.error_page(request, None, error)
            web.clear_sign_in_cookie(response)
            return response
        web.metrics.sign_ins.labels(outcome="ok").inc()
        response = web.render(request, "signed_in.html", None, next=return_to)
        web.clear_sign_in_cookie(response)
        web.session_cookie(response, session_id)
        return response

    @api("Sign out (and end the issuer's session)", body=CsrfForm, body_media=FORM, status=303, media=PAGE)
    async def logout(request: Request, staff: StaffSession) -> Response:
        end_session = await web.signin.sign_out(staff, client_of(request))
        response = RedirectResponse(end_session or "/auth/signed-out", status_code=303)
        web.clear_session_cookie(response)
        return response

    @api("Signed out", public=True, media=PAGE)
    async def signed_out(request: Request) -> Response:
        return web.render(request, "signed_out.html", None)

    return [
        Route("/auth/sign-in", sign_in_page, methods=["GET"]),
        Route("/auth/login", login, methods=["GET"]),
        Route("/auth/callback", callback, methods=["GET"]),
        Route("/auth/logout", web.page(logout), methods=["POST"]),
        Route("/auth/signed-out", signed_out, methods=["GET"]),
    ]
