"""Every httpx client that can reach another system is built with `verify=` (issue 13, transport
security): `osame_chassis.tls.http_verify(OSAME_HTTP_CA_FILE)` or a sibling, so an https:// URL is
checked against the configured CA instead of whatever httpx defaults to. The sources of the
services, the chassis and the operator tools are parsed; a new `httpx.AsyncClient(...)`,
`httpx.Client(...)` or module-level `httpx.get/post/...` without `verify=` fails here."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [
    *sorted((ROOT / "services").glob("*/src")),
    *sorted((ROOT / "libs").glob("*/src")),
    *sorted((ROOT / "tools").glob("*/src")),
]
CONSTRUCTORS = {"AsyncClient", "Client", "get", "post", "put", "patch", "delete", "request", "stream"}
# Development only, always http:// on this machine: the local demo stack and its probes.
EXEMPT = {
    "tools/cli/src/osame_cli/stack.py": "probes /readyz, /healthz, /stats of local dev processes",
    "tools/cli/src/osame_cli/demo.py": "the development demo on 127.0.0.1",
    "tools/cli/src/osame_cli/demo_mission.py": "the development demo on 127.0.0.1",
    "libs/chassis/src/osame_chassis/testing_data_rights.py": "test support: an in-process ASGI transport",
}


def _httpx_calls_without_verify(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported = {  # from httpx import AsyncClient [as X]
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "httpx"
        for alias in node.names
        if alias.name in CONSTRUCTORS
    }
    lines = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        direct = isinstance(func, ast.Name) and func.id in imported
        dotted = (
            isinstance(func, ast.Attribute)
            and func.attr in CONSTRUCTORS
            and isinstance(func.value, ast.Name)
            and func.value.id == "httpx"
        )
        if (direct or dotted) and not any(k.arg == "verify" for k in node.keywords):
            lines.append(node.lineno)
    return lines


def _sources() -> list[Path]:
    return [p for root in SOURCES for p in sorted(root.rglob("*.py"))]


def test_the_scan_finds_the_sources_and_the_known_clients():
    files = {p.relative_to(ROOT).as_posix() for p in _sources()}
    assert "services/intermediate-server-gw/src/osame_gateway/adapters/remote.py" in files
    assert set(EXEMPT) <= files, "an exemption names a file that is gone: drop it"


def test_the_scan_catches_a_client_without_verify(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import httpx\nfrom httpx import AsyncClient as C\n"
        "a = httpx.AsyncClient(timeout=1)\nb = C()\nc = httpx.get('https://x')\n"
        "d = httpx.Client(verify=True)\n",
        encoding="utf-8",
    )
    assert _httpx_calls_without_verify(sample) == [3, 4, 5]


def test_every_httpx_client_is_built_with_verify():
    offenders = [
        f"{p.relative_to(ROOT).as_posix()}:{line}"
        for p in _sources()
        if p.relative_to(ROOT).as_posix() not in EXEMPT
        for line in _httpx_calls_without_verify(p)
    ]
    assert offenders == [], "httpx client without verify= (osame_chassis.tls.http_verify)"
