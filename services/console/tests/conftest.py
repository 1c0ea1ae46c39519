"""The console in process, signed in through the real development issuer (in process too), over
a small stand-in for the services' APIs guarded by the real chassis `Authenticator`.

The stand-in answers like collection and address-sync do (`{"error": code}`), and some ids make
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
from osame_console.settings import ConsoleSettings
from osame_dev_issuer.app import build_app as build_issuer
from osame_dev_issuer.settings import DevIssuerSettings
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
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


@dataclass
class Upstream:
    """What the stand-in services received."""

    calls: list[dict] = field(default_factory=list)

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

    async def search(request: Request):
        await record(request)
        return JSONResponse({"results": [], "truncated": False})

    return Starlette(
        routes=[
            Route("/cases/{addressee_id}", auth.require("collection:cases.read")(view), methods=["GET"]),
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
