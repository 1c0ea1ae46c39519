"""House rules for the console: a BFF over HTTP only (no service's package, no other database),
a pure domain, and no personal data where it could leak (URLs, logs)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "osame_console"
SERVICE_PACKAGES = {
    "osame_receipts",
    "osame_refunds",
    "osame_collection",
    "osame_address_sync",
    "osame_gateway",
}
IO = {
    "sqlalchemy",
    "httpx",
    "aio_pika",
    "faststream",
    "starlette",
    "jinja2",
    "osame_chassis",
    "asyncpg",
    "aiosqlite",
}


def imports(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module.split(".")[0])
    return out


@pytest.mark.parametrize("path", sorted(SRC.rglob("*.py")), ids=lambda p: str(p.relative_to(SRC)))
def test_the_console_imports_no_service(path):
    assert not imports(path) & SERVICE_PACKAGES


@pytest.mark.parametrize("path", sorted((SRC / "domain").rglob("*.py")), ids=lambda p: p.name)
def test_the_domain_is_pure(path):
    assert not imports(path) & IO


def test_search_terms_never_travel_in_a_url():
    """Forms that carry personal data are POSTed; GET forms carry ids only (宛名番号, batch id;
    the 収納 lists: 通知書番号, 取込番号, a channel and dates, as receipts' own API takes them;
    担当一覧: a staff id, as collection's own API takes it; 収納訂正: the 通知書番号 whose receipts
    to list; 管理: a 宛名番号 filter of collection's audit trail)."""
    for template in (SRC / "entrypoints" / "templates").glob("*.html"):
        for form in re.findall(r"<form[^>]*>", template.read_text(encoding="utf-8")):
            if 'method="get"' in form:
                assert re.search(
                    r'action="/(cases|batches|admin/audit/\{\{ target.service \}\}|worklists/\{\{ found.kind \}\}|'
                    r'receipts/(\{\{ active \}\}|daily|imports|corrections/new))"',
                    form,
                ), (template.name, form)
