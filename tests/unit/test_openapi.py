"""Each service's OpenAPI document (docs/openapi/<service>.json), the staff console's too: valid
OpenAPI 3.1 (openapi-spec-validator), every route of the app declared and documented with the
permission (or session) its guard checks, served at /openapi.json without a token, and the
committed file current."""

from __future__ import annotations

import importlib
import json

import httpx
import pytest
from openapi_spec_validator import validate
from osame_chassis.openapi import operations, permission_of, service_app, undeclared
from osame_cli.openapi_docs import DOCS_DIR, console_app, render
from osame_cli.stack import SERVICES

REGENERATE = "run `uv run osame contracts openapi` and commit docs/openapi"
APPS = sorted([*SERVICES, "console"])


@pytest.fixture(scope="module")
def apps(tmp_path_factory) -> dict:
    out = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OSAME_DATA_DIR", str(tmp_path_factory.mktemp("openapi")))
        for service, package in SERVICES.items():
            try:
                out[service] = service_app(importlib.import_module(f"{package}.bootstrap").build_spec())
            except Exception as exc:  # reported per service below, so one broken service hides no other
                out[service] = exc
        out["console"] = console_app()
    return out


def app_of(apps: dict, service: str):
    app = apps[service]
    if isinstance(app, Exception):
        raise app
    return app


@pytest.mark.parametrize("service", APPS)
def test_the_document_is_valid_openapi_3_1(apps, service):
    doc = app_of(apps, service).state.openapi()
    validate(doc)
    assert doc["openapi"].startswith("3.1")


@pytest.mark.parametrize("service", APPS)
def test_every_route_is_declared_and_documented(apps, service):
    app = app_of(apps, service)
    assert undeclared(app.routes) == [], "declare each with osame_chassis.openapi.api"
    doc = app.state.openapi()
    documented = {(m.upper(), p) for p, item in doc["paths"].items() for m in item}
    routed = {(m, p) for m, p, _ in operations(app.routes)}
    assert routed == documented
    assert len(routed) > 5  # more than the chassis' own operations endpoints


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_every_guarded_route_names_its_permission(apps, service):
    app = app_of(apps, service)
    doc = app.state.openapi()
    for method, path, route in operations(app.routes):
        op = doc["paths"][path][method.lower()]
        permission = permission_of(route.endpoint)
        if permission is None:
            assert op["security"] == [], f"{method} {path}"
            continue
        assert permission.startswith(f"{service}:"), f"{method} {path}: {permission}"
        assert op["security"] == [{"bearerAuth": [permission]}], f"{method} {path}"
        assert {"401", "403"} <= set(op["responses"]), f"{method} {path}"
    assert any(permission_of(r.endpoint) for _, _, r in operations(app.routes))


@pytest.mark.parametrize("service", APPS)
async def test_served_without_a_token_and_committed(apps, service):
    app = app_of(apps, service)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc") as client:
        response = await client.get("/openapi.json")
    assert response.status_code == 200
    served = response.json()
    assert served == app.state.openapi()
    committed = DOCS_DIR / f"{service}.json"
    assert committed.exists(), REGENERATE
    assert committed.read_text(encoding="utf-8") == render(served), REGENERATE
    assert json.loads(committed.read_text(encoding="utf-8"))["info"]["title"].endswith(service)


def test_every_console_screen_needs_the_session(apps):
    app = app_of(apps, "console")
    doc = app.state.openapi()
    open_paths = {"/openapi.json", "/healthz", "/readyz", "/metrics"}
    for method, path, _ in operations(app.routes):
        op = doc["paths"][path][method.lower()]
        if path in open_paths or (path.startswith("/auth/") and path != "/auth/logout"):
            assert op["security"] == [], f"{method} {path}"
        else:
            assert op["security"] == [{"consoleSession": []}], f"{method} {path}"
            assert "303" in op["responses"], f"{method} {path}: the way to sign-in"


@pytest.mark.parametrize("service", sorted(SERVICES))
async def test_without_a_token_every_guarded_route_answers_a_documented_refusal(tmp_path, service):
    """Against the real app on a migrated scratch store: 401 in the documented error shape."""
    from osame_chassis.http import build_app
    from osame_chassis.migrations import upgrade
    from osame_chassis.runtime import ServiceRuntime

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OSAME_DATA_DIR", str(tmp_path))
        spec = importlib.import_module(f"{SERVICES[service]}.bootstrap").build_spec()
        runtime = ServiceRuntime(spec, provider=None)
    spec.register(runtime)
    app = build_app(runtime)
    doc = app.state.openapi()
    await upgrade(runtime.engine, spec.migrations)  # the refusal is audited in the service's store
    checked = 0
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://svc") as client:
            for method, path, route in operations(app.routes):
                if permission_of(route.endpoint) is None:
                    continue
                url = path.format(**{name: "1" for name in route.param_convertors})
                response = await client.request(method, url)
                assert response.status_code == 401, f"{method} {path}"
                assert "401" in doc["paths"][path][method.lower()]["responses"], f"{method} {path}"
                assert set(response.json()) <= {"error", "detail"} and response.json()["error"]
                checked += 1
    finally:
        await runtime.dispose_databases()
    assert checked
