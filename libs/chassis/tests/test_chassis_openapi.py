"""The OpenAPI generator (osame_chassis.openapi) on a small app: what a declaration and the
authenticator put into the document, and that the result is a valid OpenAPI 3.1 document."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

import pytest
from openapi_spec_validator import validate
from osame_chassis.auth import Authenticator, AuthSettings
from osame_chassis.openapi import (
    UNDECLARED,
    Session,
    api,
    default_roles,
    document,
    mark_session,
    openapi_route,
    undeclared,
)
from pydantic import BaseModel, Field
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles


class Claim(BaseModel):
    """Record a claim."""

    addressee_id: str = Field(pattern=r"^[0-9]{1,15}$")
    claimed_on: dt.date
    staff_user: str = ""


class Page(BaseModel):
    status: Literal["open", "closed"] | None = None
    limit: int = Field(default=10, ge=1, le=100, description="page size")


class ItemPath(BaseModel):
    item_id: str = Field(pattern=r"^[0-9a-f-]{36}$", description="the item's id")


class Item(BaseModel):
    item_id: str
    status: str


async def answer(_):
    return JSONResponse({})


async def alive(_):
    return JSONResponse({})


def routes(tmp_path) -> list:
    auth = Authenticator(AuthSettings(enabled=False))

    @api("Items", query=Page, response=Item, errors=(404,))
    async def items(request):
        return JSONResponse({})

    @auth.require("demo:item.write")
    @api("Record a claim", body=Claim, body_from_server=["staff_user"], status=201, also={202: "held"})
    async def claim(request):
        return JSONResponse({})

    @api("One item as a file", path=ItemPath, media="application/pdf")
    @auth.require("demo:item.read")
    async def item_pdf(request):
        return JSONResponse({})

    return [
        Route("/items", auth.require("demo:item.read")(items), methods=["GET"]),
        Route("/claims", claim, methods=["POST"]),
        Route("/items/{item_id}/file.pdf", item_pdf),
        Route("/counts/{n:int}", answer, methods=["GET", "DELETE"]),
        Route("/health", api("Alive", public=True)(alive)),
        Mount("/static", StaticFiles(directory=tmp_path)),
    ]


@pytest.fixture
def doc(tmp_path) -> dict:
    return document(routes(tmp_path), service="demo")


def test_the_document_is_valid_openapi_3_1(doc):
    validate(doc)
    assert doc["openapi"] == "3.1.0"
    assert doc["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": doc["components"]["securitySchemes"]["bearerAuth"]["description"],
    }


def test_every_operation_and_no_head_or_mount(doc):
    assert {(p, m) for p, item in doc["paths"].items() for m in item} == {
        ("/items", "get"),
        ("/claims", "post"),
        ("/items/{item_id}/file.pdf", "get"),
        ("/counts/{n}", "get"),
        ("/counts/{n}", "delete"),
        ("/health", "get"),
    }


def test_undeclared_routes_are_listed_and_marked(tmp_path, doc):
    assert undeclared(routes(tmp_path)) == ["DELETE /counts/{n}", "GET /counts/{n}"]
    assert doc["paths"]["/counts/{n}"]["get"]["summary"].startswith(UNDECLARED)


@pytest.mark.parametrize(
    ("path", "method", "permission"),
    [
        ("/items", "get", "demo:item.read"),  # declared inside the guard
        ("/claims", "post", "demo:item.write"),  # declared inside, guard outside
        ("/items/{item_id}/file.pdf", "get", "demo:item.read"),  # declared on the guarded endpoint
    ],
)
def test_the_permission_of_the_guard_is_the_security_requirement(doc, path, method, permission):
    op = doc["paths"][path][method]
    assert op["security"] == [{"bearerAuth": [permission]}]
    assert op["x-osame-permission"] == permission
    assert permission in op["description"]
    assert "admin" in op["x-osame-default-roles"]
    assert {"401", "403", "500"} <= set(op["responses"])


def test_default_roles_are_those_that_grant_the_permission():
    assert default_roles("refunds:refund.approve") == ["admin", "refunds_staff"]
    assert default_roles("collection:audit.read") == ["admin", "auditor", "collection_staff"]


def test_public_and_unguarded_operations_need_no_token(doc):
    for path in ("/health", "/counts/{n}"):
        op = doc["paths"][path]["get"]
        assert op["security"] == []
        assert "401" not in op["responses"]


def test_query_parameters_come_from_the_query_model(doc):
    op = doc["paths"]["/items"]["get"]
    params = {p["name"]: p for p in op["parameters"]}
    assert set(params) == {"status", "limit"}
    assert all(p["in"] == "query" and not p["required"] for p in params.values())
    assert params["limit"]["schema"]["maximum"] == 100
    assert params["limit"]["description"] == "page size"
    assert params["status"]["schema"] == {"enum": ["open", "closed"], "type": "string"}  # no null
    assert op["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Item"
    }
    assert {"404", "422"} <= set(op["responses"])


def test_path_parameters_come_from_the_route_and_the_path_model(doc):
    (param,) = doc["paths"]["/items/{item_id}/file.pdf"]["get"]["parameters"]
    assert param["in"] == "path" and param["required"] and param["schema"]["pattern"] == r"^[0-9a-f-]{36}$"
    (count,) = doc["paths"]["/counts/{n}"]["get"]["parameters"]
    assert count["schema"]["type"] == "integer"
    media = doc["paths"]["/items/{item_id}/file.pdf"]["get"]["responses"]["200"]["content"]
    assert list(media) == ["application/pdf"]


def test_the_body_omits_what_the_service_sets_itself(doc):
    op = doc["paths"]["/claims"]["post"]
    body = op["requestBody"]["content"]["application/json"]["schema"]
    assert set(body["properties"]) == {"addressee_id", "claimed_on"}
    assert "staff_user" not in body.get("required", [])
    assert set(op["responses"]) >= {"201", "202", "422"}


def test_errors_have_the_chassis_error_shape(doc):
    for code, response in doc["components"]["responses"].items():
        assert response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}, (
            code
        )
    assert doc["components"]["schemas"]["Error"]["required"] == ["error"]


def test_a_declaration_leaves_the_endpoint_as_it_was():
    async def endpoint(_):
        return JSONResponse({})

    assert api("x")(endpoint) is endpoint
    with pytest.raises(TypeError):
        api("x", bdoy=Claim)  # a mistyped field is refused, not ignored


def test_a_declared_path_parameter_must_be_in_the_path():
    async def endpoint(_):
        return JSONResponse({})

    route = Route("/items", api("x", path=ItemPath)(endpoint))
    with pytest.raises(ValueError, match="item_id"):
        document([route], service="demo")


class Search(BaseModel):
    csrf_token: str
    name_kana: str | None = None


COOKIE = Session(
    "appSession",
    {"type": "apiKey", "in": "cookie", "name": "sid"},
    {303: "to the sign-in page", 403: "refused"},
)


def test_an_app_of_its_own_session_and_html_pages():
    @api("Search", body=Search, body_media="application/x-www-form-urlencoded", media="text/html")
    async def search(_):
        return JSONResponse({})

    mark_session(search, COOKIE)
    doc = document(
        [Route("/search", search, methods=["POST"])],
        sessions=[COOKIE],
        error_media="text/html",
        service="app",
    )
    validate(doc)
    op = doc["paths"]["/search"]["post"]
    assert op["security"] == [{"appSession": []}]
    assert doc["components"]["securitySchemes"]["appSession"]["in"] == "cookie"
    assert op["responses"]["303"] == {"description": "to the sign-in page"}
    assert op["responses"]["403"] == {"$ref": "#/components/responses/E403"}
    assert list(op["requestBody"]["content"]) == ["application/x-www-form-urlencoded"]
    assert list(doc["components"]["responses"]["E403"]["content"]) == ["text/html"]
    assert list(op["responses"]["200"]["content"]) == ["text/html"]


async def test_openapi_json_is_served_without_a_token(tmp_path):
    import httpx
    from starlette.applications import Starlette

    route, current = openapi_route(lambda: app.routes, service="demo")
    app = Starlette(routes=[route, *routes(tmp_path)])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://demo") as client:
        response = await client.get("/openapi.json")
    assert response.status_code == 200
    assert response.json() == current()
    assert "/openapi.json" in current()["paths"] and "/claims" in current()["paths"]


@dataclass
class Problem:
    record_no: int
    message: str


@dataclass
class Report:
    status: str
    problems: list[Problem] = field(default_factory=list)


def test_a_dataclass_a_use_case_returns_is_a_response_schema():
    async def run(_):
        return JSONResponse({})

    doc = document([Route("/run", api("Run", response=Report)(run), methods=["POST"])], service="demo")
    validate(doc)
    schema = doc["paths"]["/run"]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/Report"}
    report = doc["components"]["schemas"]["Report"]
    assert report["properties"]["problems"]["items"] == {"$ref": "#/components/schemas/Problem"}
    assert doc["components"]["schemas"]["Problem"]["required"] == ["record_no", "message"]
