"""OpenAPI 3.1 document of a service's HTTP routes, generated from the routes themselves.

Stable API::

    from osame_chassis.openapi import api

    class DayQuery(BaseModel):
        booked_on: dt.date | None = None

    @api("Daily totals of one booking day", query=DayQuery, errors=(422,))
    @auth.require("receipts:daily-totals.read")
    async def daily(request): ...

- `api(summary, *, body=, query=, path=, response=, ...)` declares an endpoint (the fields of
  `Operation`): the pydantic models it parses (JSON or form body, query string, path
  parameters), what it returns (a model, a dataclass a use case returns, or a JSON Schema), the
  media types of a raw upload or a file download, its success and error statuses. It only
  attaches metadata (`endpoint.__osame_api__`); the handler is unchanged. The metadata survives
  decorators that use `functools.wraps` (as `Authenticator.require` does), so it can sit on the
  inner handler or on the guarded endpoint. It is on the function object: one function serving
  two routes has one declaration.
- `Authenticator.require(permission)` marks the endpoint with the permission it checks; the
  operation then carries `security: [{bearerAuth: [permission]}]` (OpenAPI 3.1 lets a
  security requirement name the roles/permissions an http scheme needs), the permission in
  `x-osame-permission`, the roles of `DEFAULT_ROLE_PERMISSIONS` that grant it in
  `x-osame-default-roles`, and the 401/403 answers of the authenticator.
- `document(routes, service=...)` walks the Starlette routes (path and its parameters from the
  route itself, GET/POST/... from its methods) and builds the document: every pydantic model
  once in `components/schemas`, every error answer the chassis error shape `{"error", "detail"?}`.
  `undeclared(routes)` lists routes without an `api` declaration: the tests require none, so a
  route added without one fails CI instead of being documented as an untyped guess.
- `openapi_route(lambda: app.routes, service=...)` is the `GET /openapi.json` route (no token)
  and the function giving its document; `osame_chassis.http.build_app` adds it to every service,
  the console to its own app. An app with its own login (the console's session cookie) passes
  its `Session` scheme to `document` and marks its guard's endpoints with `mark_session`.
- `service_document(spec)` is the document of a service without starting it (as
  `osame_chassis.cli.asyncapi_document`); `osame contracts openapi` commits them in
  `docs/openapi/`.

No example values are generated: a document never carries personal data.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, TypeAdapter
from pydantic.json_schema import models_json_schema
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

if TYPE_CHECKING:
    from osame_chassis.runtime import ServiceSpec

OPENAPI_VERSION = "3.1.0"
API_VERSION = "1"  # the version of the HTTP API; raise it with an incompatible change
SCHEMA_PREFIX = "#/components/schemas/"
BEARER = "bearerAuth"
ERROR_SCHEMA = {
    "type": "object",
    "description": "Every refusal or failure answers this shape; `error` is a code or a PII-free sentence.",
    "required": ["error"],
    "properties": {
        "error": {"type": "string"},
        "detail": {"type": "string", "description": "which field or rule (never an input value)"},
    },
}
ERROR_TEXT = {
    400: "Malformed request (body not JSON or not an object, or a parameter out of pattern)",
    401: "No, invalid, expired, too old or revoked bearer token",
    403: "Token lacks the permission, client network not allowed, or a duty rule refuses the caller",
    404: "No such record",
    409: "Conflicts with the record's state (already done, wrong revision, broken chain, ...)",
    422: "Input refused: a field or parameter is invalid or a business/law rule refuses it",
    429: "Rate limited",
    500: "Internal error (details only in the service's log)",
    503: "Not available (a dependency or a configured key/font is missing)",
}
ATTRIBUTE = "__osame_api__"
PERMISSION_ATTRIBUTE = "__osame_permission__"
SESSION_ATTRIBUTE = "__osame_session__"
JSON = "application/json"
UNDECLARED = "(undeclared)"  # the summary `document` gives an operation without an `api` declaration


@dataclass(frozen=True)
class Operation:
    """What `api` declares about one endpoint (see the module doc)."""

    summary: str
    description: str = ""
    body: type[BaseModel] | None = None
    body_media: str | None = None  # a raw upload (e.g. a bank file) instead of a JSON body
    body_required: bool = True
    body_from_server: Iterable[str] = ()  # body fields the endpoint fills in (path, token): not sent
    query: type[BaseModel] | None = None
    path: type[BaseModel] | None = None
    response: type | dict | None = None  # a pydantic model, a dataclass, or a JSON Schema
    media: str = JSON
    status: int = 200
    also: dict[int, str] = field(default_factory=dict)  # further success statuses: what they mean
    errors: Iterable[int] = ()  # error statuses besides those of the authenticator and 422 for input
    public: bool = False  # no token (operations endpoints)

    def __post_init__(self) -> None:
        object.__setattr__(self, "errors", tuple(sorted(set(self.errors))))
        object.__setattr__(self, "body_from_server", tuple(self.body_from_server))


def api(summary: str, **fields: Any) -> Callable[[Callable], Callable]:
    """Declare what an endpoint parses and answers: the fields of `Operation` (see the module doc).
    Metadata only: the endpoint is returned unchanged."""
    operation = Operation(summary=summary, **fields)

    def declare(endpoint: Callable) -> Callable:
        setattr(endpoint, ATTRIBUTE, operation)
        return endpoint

    return declare


def declared(endpoint: Callable) -> Operation | None:
    return getattr(endpoint, ATTRIBUTE, None)


def permission_of(endpoint: Callable) -> str | None:
    return getattr(endpoint, PERMISSION_ATTRIBUTE, None)


@dataclass(frozen=True)
class Session:
    """A non-bearer way an app authenticates (the console's session cookie): its security scheme
    and what an operation answers when it is missing (e.g. 303 to the sign-in page)."""

    name: str
    scheme: dict
    refusals: dict[int, str]


def mark_session(endpoint: Callable, session: Session) -> None:
    """Called by an app's own guard (e.g. the console's `Web.page`): the endpoint needs `session`."""
    setattr(endpoint, SESSION_ATTRIBUTE, session)


def mark_permission(endpoint: Callable, permission: str) -> None:
    """Called by `Authenticator.require`: the permission the endpoint checks."""
    setattr(endpoint, PERMISSION_ATTRIBUTE, permission)


def operations(routes: Iterable[BaseRoute]) -> list[tuple[str, str, Route]]:
    """(METHOD, path, route) of every HTTP operation, in route order (HEAD comes with GET)."""
    out = []
    for route in routes:
        if not isinstance(route, Route):
            continue  # mounts (static files) are not API
        for method in sorted(route.methods or {"GET"}):
            if method != "HEAD":
                out.append((method, route.path_format, route))
    return out


def undeclared(routes: Iterable[BaseRoute]) -> list[str]:
    """`METHOD path` of every operation whose endpoint has no `api` declaration."""
    return [f"{m} {p}" for m, p, r in operations(routes) if declared(r.endpoint) is None]


_CONVERTOR_SCHEMA = {
    "IntegerConvertor": {"type": "integer", "minimum": 0},
    "FloatConvertor": {"type": "number", "minimum": 0},
    "UUIDConvertor": {"type": "string", "format": "uuid"},
}


def default_roles(permission: str) -> list[str]:
    """Roles of `DEFAULT_ROLE_PERMISSIONS` that grant `permission` (a deployment may map others)."""
    from osame_chassis.auth import DEFAULT_ROLE_PERMISSIONS, grants

    return sorted(role for role, granted in DEFAULT_ROLE_PERMISSIONS.items() if grants(granted, permission))


def _tag(path: str) -> str:
    """The first path segment (after `/api`): the resource the operation is about."""
    segments = [x for x in path.strip("/").split("/") if x and x != "api"]
    return segments[0] if segments else "root"


def summary_of(model: type[BaseModel]) -> str:
    """A model's first docstring line, or its name in words (`RecordContact` → "Record contact")."""
    doc = (model.__doc__ or "").strip()
    if doc:
        return doc.splitlines()[0]
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", model.__name__)
    return words[:1] + words[1:].lower()


def _operation_id(method: str, path: str) -> str:
    words = re.sub(r"[^0-9A-Za-z]+", "_", path).strip("_")
    return f"{method.lower()}_{words or 'root'}"


def _model_refs(
    ops: list[tuple[str, str, Route, Operation]],
) -> tuple[dict[tuple[type[BaseModel], str], str], dict[str, Any]]:
    wanted: list[tuple[type[BaseModel], str]] = []
    for *_, op in ops:
        for model in (op.body, op.query, op.path):
            if model is not None:
                wanted.append((model, "validation"))
        if isinstance(op.response, type):
            wanted.append((op.response, "serialization"))
    wanted = list(dict.fromkeys(wanted))
    models = [(t, mode) for t, mode in wanted if issubclass(t, BaseModel)]
    refs: dict[tuple[type, str], str] = {}
    schemas: dict[str, Any] = {}
    if models:
        keys, top = models_json_schema(models, ref_template=SCHEMA_PREFIX + "{model}")
        refs.update({k: v["$ref"] for k, v in keys.items()})
        schemas.update(top.get("$defs", {}))
    for t, mode in wanted:  # dataclasses a use case returns (e.g. an import report)
        if (t, mode) not in refs:
            schema = TypeAdapter(t).json_schema(mode=mode, ref_template=SCHEMA_PREFIX + "{model}")
            schemas.update(schema.pop("$defs", {}))
            schemas[t.__name__] = schema
            refs[(t, mode)] = SCHEMA_PREFIX + t.__name__
    return refs, schemas


def _resolve(schemas: dict[str, Any], ref: str) -> dict:
    return schemas[ref.removeprefix(SCHEMA_PREFIX)]


def _fields(model_ref: str | None, schemas: dict[str, Any]) -> tuple[dict[str, dict], set[str]]:
    if model_ref is None:
        return {}, set()
    schema = _resolve(schemas, model_ref)
    return schema.get("properties", {}), set(schema.get("required", []))


def _parameter_schema(schema: dict) -> dict:
    """A field's schema as a parameter's: an absent parameter is how a query says "none", so
    `X | None` is just X, without the `null` default and the title."""
    out = {k: v for k, v in schema.items() if k != "title" and not (k == "default" and v is None)}
    variants = out.get("anyOf", [])
    concrete = [v for v in variants if v != {"type": "null"}]
    if len(variants) == 2 and len(concrete) == 1:
        del out["anyOf"]
        out = {**concrete[0], **out}
    return out


def _parameters(route: Route, op: Operation, refs, schemas) -> list[dict]:
    params = []
    path_fields, _ = _fields(refs.get((op.path, "validation")) if op.path else None, schemas)
    if stray := set(path_fields) - set(route.param_convertors):
        raise ValueError(f"{route.path}: declared path parameters not in the path: {sorted(stray)}")
    for name, convertor in route.param_convertors.items():
        schema = path_fields.get(name) or _CONVERTOR_SCHEMA.get(type(convertor).__name__, {"type": "string"})
        param = {"name": name, "in": "path", "required": True, "schema": _parameter_schema(schema)}
        if "description" in schema:
            param["description"] = schema["description"]
        params.append(param)
    query_fields, required = _fields(refs.get((op.query, "validation")) if op.query else None, schemas)
    for name, schema in query_fields.items():
        param = {
            "name": name,
            "in": "query",
            "required": name in required,
            "schema": _parameter_schema(schema),
        }
        if "description" in schema:
            param["description"] = schema["description"]
        params.append(param)
    return params


def _body_schema(ref: str, from_server: tuple[str, ...], schemas: dict[str, Any]) -> dict:
    """The body's schema; without the fields the endpoint sets itself (they are ignored if sent)."""
    if not from_server:
        return {"$ref": ref}
    schema = dict(_resolve(schemas, ref))
    schema["properties"] = {k: v for k, v in schema.get("properties", {}).items() if k not in from_server}
    if "required" in schema:
        schema["required"] = [k for k in schema["required"] if k not in from_server]
    note = "Set by the service, ignored in the body: " + ", ".join(from_server) + "."
    schema["description"] = (schema.get("description", "") + "\n\n" + note).strip()
    return schema


def _content(media: str, schema: dict | None) -> dict:
    if media == JSON:
        return {media: {"schema": schema or {"type": "object"}}}
    if media.startswith("text/"):
        return {media: {"schema": {"type": "string"}}}
    return {media: {"schema": {"type": "string", "contentMediaType": media}}}


def _operation(method: str, path: str, route: Route, op: Operation, refs, schemas) -> dict:
    permission = permission_of(route.endpoint)
    out: dict[str, Any] = {
        "operationId": _operation_id(method, path),
        "summary": op.summary,
        "tags": [_tag(path)],
    }
    description = op.description
    roles = default_roles(permission) if permission else []
    if permission:
        description = (description + "\n\n" if description else "") + (
            f"Requires permission `{permission}` (granted by default to: {', '.join(roles)})."
        )
    if description:
        out["description"] = description
    params = _parameters(route, op, refs, schemas)
    if params:
        out["parameters"] = params
    if op.body is not None:
        schema = _body_schema(refs[(op.body, "validation")], op.body_from_server, schemas)
        media = op.body_media or JSON  # a form post declares its fields the same way
        out["requestBody"] = {"required": op.body_required, "content": {media: {"schema": schema}}}
    elif op.body_media is not None:
        out["requestBody"] = {"required": True, "content": _content(op.body_media, None)}
    response_schema = (
        {"$ref": refs[(op.response, "serialization")]} if isinstance(op.response, type) else op.response
    )
    responses: dict[str, Any] = {
        str(op.status): {"description": "Done", "content": _content(op.media, response_schema)}
    }
    for status, meaning in sorted(op.also.items()):
        responses[str(status)] = {"description": meaning, "content": _content(op.media, response_schema)}
    errors = set(op.errors) | {500}
    if permission and not op.public:
        errors |= {401, 403}
        out["security"] = [{BEARER: [permission]}]
        out["x-osame-permission"] = permission
        out["x-osame-default-roles"] = roles
    elif (session := getattr(route.endpoint, SESSION_ATTRIBUTE, None)) and not op.public:
        out["security"] = [{session.name: []}]
        for status, meaning in sorted(session.refusals.items()):
            if status < 400:
                responses[str(status)] = {"description": meaning}
            else:
                errors.add(status)
    else:
        out["security"] = []
    if op.body is not None or op.query is not None or op.body_media is not None:
        errors.add(422)
    for status in sorted(errors):
        responses[str(status)] = {"$ref": f"#/components/responses/E{status}"}
    out["responses"] = responses
    return out


def document(
    routes: Iterable[BaseRoute],
    *,
    service: str,
    description: str = "",
    sessions: Iterable[Session] = (),
    error_media: str = JSON,
) -> dict:
    """The OpenAPI 3.1 document of these routes (undeclared ones get a bare placeholder operation).
    `sessions`: security schemes besides the bearer JWT; `error_media`: what errors are answered
    as (the chassis' JSON error shape, or a page for a browser app)."""
    found = []
    for method, path, route in operations(routes):
        op = declared(route.endpoint) or Operation(summary=f"{UNDECLARED} {method} {path}")
        found.append((method, path, route, op))
    refs, schemas = _model_refs(found)
    paths: dict[str, dict] = {}
    for method, path, route, op in found:
        paths.setdefault(path, {})[method.lower()] = _operation(method, path, route, op, refs, schemas)
    used = sorted(
        {
            int(r["$ref"].rsplit("E", 1)[1])
            for item in paths.values()
            for o in item.values()
            for r in o["responses"].values()
            if "$ref" in r
        }
    )
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": f"Osame {service}",
            "version": API_VERSION,
            "description": description
            or f"HTTP API of the {service} service. Generated from its route declarations "
            "(`osame contracts openapi`); do not edit by hand.",
        },
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "paths": paths,
        "components": {
            "schemas": {**dict(sorted(schemas.items())), "Error": ERROR_SCHEMA},
            "responses": {
                f"E{s}": {
                    "description": ERROR_TEXT.get(s, "Error"),
                    "content": {error_media: {"schema": {"$ref": SCHEMA_PREFIX + "Error"}}}
                    if error_media == JSON
                    else _content(error_media, None),
                }
                for s in used
            },
            "securitySchemes": {
                BEARER: {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "Staff or service JWT (osame_chassis.auth); the operation's security "
                    "requirement names the permission its roles must grant.",
                },
                **{session.name: session.scheme for session in sessions},
            },
        },
    }


def openapi_route(
    routes: Callable[[], Iterable[BaseRoute]], **options: Any
) -> tuple[Route, Callable[[], dict]]:
    """`GET /openapi.json` (no token) and the function giving its document: `document(routes(),
    **options)`, generated on first use (an app's routes are fixed once it is built)."""
    cached: dict = {}

    def current() -> dict:
        if not cached:
            cached.update(document(routes(), **options))
        return cached

    @api("This OpenAPI 3.1 document", public=True)
    async def openapi_json(_: Request) -> Response:
        return JSONResponse(current())

    return Route("/openapi.json", openapi_json, methods=["GET"]), current


def service_app(spec: ServiceSpec):
    """The service's Starlette app as `serve` builds it, without connecting to anything."""
    from osame_chassis.http import build_app
    from osame_chassis.runtime import ServiceRuntime

    runtime = ServiceRuntime(spec, provider=None)
    spec.register(runtime)
    return build_app(runtime)


def service_document(spec: ServiceSpec) -> dict:
    """The document a service serves at /openapi.json, built without starting the service."""
    return service_app(spec).state.openapi()
