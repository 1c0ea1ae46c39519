"""What every screen shares: the session of the request, CSRF, rendering, and the error pages.

`Web.page(handler)` wraps a screen endpoint `async def handler(request, staff) -> Response`:

1. the session cookie (signed) names a live session, else the browser goes to the sign-in page
   (an ended session says why: 無操作タイムアウト / 有効期限);
2. on POST the CSRF token (form field `csrf_token` or header `X-CSRF-Token`) must be the
   session's, else 403;
3. errors become pages: the user's roles do not grant it → 権限がありません (403); a service
   answered an error → `domain.errors.map_upstream` (401 from a service ends the session).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape
from osame_chassis.openapi import Session, mark_session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from osame_console.adapters.services import ServicesClient, UpstreamError
from osame_console.adapters.store import Store
from osame_console.domain.errors import (
    InputRefused,
    Outcome,
    UserError,
    field_label,
    forbidden,
    located_message,
    map_upstream,
)
from osame_console.domain.money import yen
from osame_console.domain.permissions import Forbidden, menu_for, role_label
from osame_console.domain.session import SessionState, csrf_matches, sign, unsign
from osame_console.domain.vocabulary import appropriation_rule, choices, label
from osame_console.domain.wareki import wareki_or_western
from osame_console.entrypoints.metrics import ConsoleMetrics
from osame_console.service_layer.signin import SessionEnded, SignIn, StaffSession
from osame_console.settings import ConsoleSettings

log = logging.getLogger("osame.console.web")
SESSION_COOKIE = "osame_console_session"  # "__Host-" prefixed over https (Secure, Path=/, no Domain)
SESSION = Session(  # what `Web.page` requires and answers, for the OpenAPI document
    "consoleSession",
    {
        "type": "apiKey",
        "in": "cookie",
        "name": SESSION_COOKIE,
        "description": "The signed session cookie set at sign-in (`__Host-` prefixed over https); "
        "POSTs also need the session's CSRF token.",
    },
    {
        303: "Not signed in, or the session ended: to /auth/sign-in",
        403: "The staff member's roles do not allow it, or the CSRF token was refused",
        404: "A service does not know the record",
        409: "A service refused the step for the record's state",
        422: "A service refused the input (the form is shown again with each field's message)",
        503: "A service did not answer",
    },
)
SIGN_IN_COOKIE = "osame_console_sign_in"  # "__Secure-" prefixed over https (its Path is /auth)
TEMPLATES = Path(__file__).parent / "templates"
ENDED_REASON = {SessionState.IDLE: "idle", SessionState.EXPIRED: "expired"}
JST = ZoneInfo("Asia/Tokyo")


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def client_of(request: Request) -> str | None:
    return request.client.host if request.client else None


def _as_date(value) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def wareki_html(value) -> Markup:
    """<time> with the 和暦 shown and the Western date on hover (title) and for machines (datetime)."""
    day = _as_date(value)
    if day is None:
        return Markup("—") if value in (None, "") else escape(str(value))
    iso = day.isoformat()
    return Markup('<time datetime="{0}" title="{0}">{1}</time>').format(iso, wareki_or_western(day))


def jst_html(value) -> Markup:
    """A timestamp (UTC in the services) in Japan time, 和暦 date and time; ISO on hover."""
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return escape(value)
    if not isinstance(value, dt.datetime):
        return Markup("—")
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    local = value.astimezone(JST)
    return Markup('<time datetime="{0}" title="{0}">{1} {2}</time>').format(
        local.isoformat(timespec="seconds"), wareki_or_western(local.date()), local.strftime("%H:%M:%S")
    )


def templates() -> Jinja2Templates:
    env = Jinja2Templates(directory=str(TEMPLATES))
    env.env.filters["yen"] = yen
    env.env.filters["wareki"] = wareki_html
    env.env.filters["jst"] = jst_html
    env.env.filters["role_label"] = role_label
    env.env.filters["vocab"] = lambda code, kind: label(kind, code)
    env.env.filters["appropriation_rule"] = appropriation_rule
    env.env.filters["field_label"] = lambda name: field_label(name or "")
    env.env.filters["located"] = located_message
    env.env.globals["choices"] = choices
    return env


@dataclass
class Web:
    settings: ConsoleSettings
    store: Store
    signin: SignIn
    api: ServicesClient
    metrics: ConsoleMetrics
    secret: bytes
    templates: Jinja2Templates

    # -- rendering -------------------------------------------------------------------------------

    def render(
        self, request: Request, name: str, staff: StaffSession | None, status: int = 200, **context
    ) -> Response:
        context.update(
            staff=staff,
            menu=menu_for(staff) if staff else [],
            csrf_token=staff.csrf_token if staff else "",
            business_date=self.settings.today(),
            htmx=request.headers.get("hx-request") == "true",
        )
        return self.templates.TemplateResponse(request, name, context, status_code=status)

    def error_page(self, request: Request, staff: StaffSession | None, error: UserError) -> Response:
        return self.render(request, "error.html", staff, status=error.status, error=error)

    # -- sessions --------------------------------------------------------------------------------

    @property
    def session_cookie_name(self) -> str:
        return ("__Host-" if self.settings.secure_cookies else "") + SESSION_COOKIE

    @property
    def sign_in_cookie_name(self) -> str:
        return ("__Secure-" if self.settings.secure_cookies else "") + SIGN_IN_COOKIE

    def session_cookie(self, response: Response, session_id: str) -> None:
        response.set_cookie(
            self.session_cookie_name,
            sign(session_id, self.secret),
            httponly=True,
            samesite="strict",
            secure=self.settings.secure_cookies,
            path="/",
        )

    def clear_sign_in_cookie(self, response: Response) -> None:
        self._clear(response, self.sign_in_cookie_name, "/auth", "lax")

    def clear_session_cookie(self, response: Response) -> None:
        self._clear(response, self.session_cookie_name, "/", "strict")

    def _clear(self, response: Response, name: str, path: str, samesite: str) -> None:
        # The attributes it was set with: a __Host-/__Secure- cookie is only replaced by a Secure one.
        response.delete_cookie(
            name, path=path, httponly=True, samesite=samesite, secure=self.settings.secure_cookies
        )

    def to_sign_in(self, request: Request, reason: str = "required") -> Response:
        target = request.url.path if request.method == "GET" else "/"
        if request.method == "GET" and request.url.query:
            target += "?" + request.url.query
        url = "/auth/sign-in?" + urlencode({"next": target, "reason": reason})
        if request.headers.get("hx-request") == "true":
            return Response(status_code=204, headers={"HX-Redirect": url})
        response = RedirectResponse(url, status_code=303)
        if reason != "required":
            self.clear_session_cookie(response)
        return response

    async def staff_of(self, request: Request) -> StaffSession | SessionEnded | None:
        session_id = unsign(request.cookies.get(self.session_cookie_name), self.secret)
        if session_id is None:
            return None
        return await self.signin.load(session_id, now(), client_of(request))

    # -- the page guard -------------------------------------------------------------------------------

    def page(self, handler):
        async def endpoint(request: Request) -> Response:
            staff = await self.staff_of(request)
            if isinstance(staff, SessionEnded):
                return self.to_sign_in(request, ENDED_REASON[staff.reason])
            if staff is None:
                return self.to_sign_in(request)
            if request.method == "POST" and not await self._csrf_ok(request, staff):
                log.warning("csrf token refused on %s", request.url.path.split("/")[1])
                error = UserError(
                    Outcome.FORBIDDEN,
                    403,
                    "フォームの有効期限が切れました",
                    "画面を再読み込みしてから、もう一度操作してください。",
                )
                return self.error_page(request, staff, error)
            try:
                return await handler(request, staff)
            except Forbidden:
                return self.error_page(request, staff, forbidden())
            except InputRefused as refused:
                return self.error_page(request, staff, refused.user_error())
            except UpstreamError as exc:
                return await self.upstream_failed(request, staff, exc)

        functools.update_wrapper(endpoint, handler)  # its name and `api` declaration
        mark_session(endpoint, SESSION)
        return endpoint

    async def upstream_failed(self, request: Request, staff: StaffSession, exc: UpstreamError) -> Response:
        error = map_upstream(exc.status, exc.code)
        if error.outcome is Outcome.SIGN_IN_AGAIN:
            # The service refused the token (expired or revoked): the session is over.
            await self.signin.sign_out(staff, client_of(request), operation="console.signed-out-by-service")
            return self.to_sign_in(request, "service")
        return self.error_page(request, staff, error)

    async def _csrf_ok(self, request: Request, staff: StaffSession) -> bool:
        submitted = request.headers.get("x-csrf-token")
        if submitted is None:
            form = await request.form()
            submitted = form.get("csrf_token")
        return csrf_matches(staff.csrf_token, submitted if isinstance(submitted, str) else None)


def field_messages(exc: InputRefused | UpstreamError, fallback: str = "<body>") -> dict[str, str]:
    """Each field's message for a form that the console or a service refused as input; any other
    refusal (sign in again, 権限, not found, unavailable) is raised again for the page guard."""
    if isinstance(exc, InputRefused):
        return exc.fields
    error = map_upstream(exc.status, exc.code)
    if error.outcome is not Outcome.INVALID:
        raise exc
    return error.fields or {fallback: error.message}


def attachment(filename: str) -> str:
    return f"attachment; filename*=UTF-8''{quote(filename)}"
