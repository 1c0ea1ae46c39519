"""The committed OpenAPI documents, `docs/openapi/<service>.json` (`osame contracts openapi`).

Each service's document (the five services and the staff console) is what it serves at
`GET /openapi.json` (`osame_chassis.openapi`), built here without starting it. A test compares
the committed files with fresh ones.
"""

from __future__ import annotations

import importlib
import json
import os
import tempfile
from pathlib import Path

from osame_chassis.openapi import UNDECLARED, service_document

from osame_cli.stack import SERVICES

DOCS_DIR = Path(__file__).resolve().parents[4] / "docs" / "openapi"


def documents() -> dict[str, dict]:
    """service → its OpenAPI document (settings from the environment; stores in a scratch dir)."""
    out = {}
    with tempfile.TemporaryDirectory() as scratch:
        before = os.environ.get("OSAME_DATA_DIR")
        os.environ["OSAME_DATA_DIR"] = scratch  # building a runtime creates no files elsewhere
        try:
            for service, package in SERVICES.items():
                spec = importlib.import_module(f"{package}.bootstrap").build_spec()
                out[service] = service_document(spec)
            out["console"] = console_app().state.openapi()
        finally:
            if before is None:
                os.environ.pop("OSAME_DATA_DIR", None)
            else:
                os.environ["OSAME_DATA_DIR"] = before
    return out


def console_app():
    """The staff console's app (not a chassis service: it has its own `build_app`)."""
    from osame_console.bootstrap import build_app
    from osame_console.settings import ConsoleSettings

    # Only its routes are read: built as in development (the dev issuer is refused elsewhere), with a
    # throwaway secret; nothing is served or signed.
    return build_app(
        ConsoleSettings(
            environment="development", session_secret=os.urandom(24).hex(), telemetry_enabled=False
        )
    )


def render(document: dict) -> str:
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def undeclared_operations(document: dict) -> list[str]:
    """`METHOD path` of operations generated without an `api` declaration (placeholders)."""
    return [
        f"{method.upper()} {path}"
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if operation["summary"].startswith(UNDECLARED)
    ]


def write(directory: Path = DOCS_DIR) -> tuple[list[Path], dict[str, list[str]]]:
    """Write every document; also return, per service, the operations still undeclared."""
    directory.mkdir(parents=True, exist_ok=True)
    written, missing = [], {}
    for service, document in documents().items():
        path = directory / f"{service}.json"
        path.write_text(render(document), encoding="utf-8")
        written.append(path)
        if gaps := undeclared_operations(document):
            missing[service] = gaps
    return written, missing
