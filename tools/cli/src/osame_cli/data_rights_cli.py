"""`osame retention` and `osame disclosure`: the data-rights jobs of the five services (issue 13).

    osame retention run                      dry run in every service: counts per table, nothing deleted
    osame retention run --delete             delete what is past its period (each service's rules)
    osame retention run --service receipts   only that service (repeatable)
    osame disclosure export --addressee 100009 --out kaiji-100009.json
                                             everything held about one 宛名番号 in the five services:
                                             JSON (the document) + .txt beside it (a readable summary)

Both go through each service's authenticated HTTP API with the operator's staff token (`--token` /
env `OSAME_TOKEN`): `POST /ops/retention` needs `<service>:retention.run` (admin), `GET
/disclosure/{addressee_id}` needs `<service>:disclosure.export` (disclosure_officer). Each service
verifies the token and writes the call to its own audit log (who, when, which 宛名番号, counts).
HTTP rather than a request/response on the bus: the operator's verified identity reaches every
service as is, the answer (which holds names, addresses and a note of the sealed 個人番号) never
crosses the shared broker or sits in a queue or DLQ, and no new contract message is needed.

Service URLs: `--url NAME=URL` (repeatable), else env `OSAME_<NAME>_URL` (`OSAME_ADDRESS_SYNC_URL`,
`OSAME_GATEWAY_URL`, …), else the local default ports 8101–8105. An export is written only when every
service answered: a 開示 document missing a service would look complete and is not.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from datetime import UTC, datetime
from pathlib import Path

import httpx
import typer
from osame_chassis.tls import http_verify_from_env
from rich.console import Console

# The five services that hold personal data, with their local default ports.
SERVICES: dict[str, int] = {
    "receipts": 8101,
    "refunds": 8102,
    "collection": 8103,
    "address-sync": 8104,
    "intermediate-server-gw": 8105,
}
ENV_NAMES = {"intermediate-server-gw": "OSAME_GATEWAY_URL"}
ADDRESSEE = re.compile(r"^[0-9]{1,15}$")

retention_app = typer.Typer(
    help="Retention: delete what is past its period (dry run first).", no_args_is_help=True
)
disclosure_app = typer.Typer(
    help="開示請求: export everything held about one 宛名番号.", no_args_is_help=True
)
console = Console(stderr=True)

TOKEN = typer.Option(
    os.environ.get("OSAME_TOKEN", ""), "--token", help="staff bearer token (env OSAME_TOKEN)"
)
URLS = typer.Option(None, "--url", help="NAME=URL of a service (repeatable); default env OSAME_<NAME>_URL")


class ServiceFailed(Exception):
    def __init__(self, service: str, reason: str):
        super().__init__(f"{service}: {reason}")
        self.service = service


def service_urls(overrides: list[str] | None = None, environ=None) -> dict[str, str]:
    environ = os.environ if environ is None else environ
    urls = {}
    for name, port in SERVICES.items():
        env = ENV_NAMES.get(name, f"OSAME_{name.upper().replace('-', '_')}_URL")
        urls[name] = environ.get(env) or f"http://127.0.0.1:{port}"
    for item in overrides or []:
        name, sep, url = item.partition("=")
        if not sep or name not in SERVICES or not url:
            raise typer.BadParameter(f"--url takes NAME=URL with NAME one of {', '.join(SERVICES)}")
        urls[name] = url
    return urls


async def _call(client: httpx.AsyncClient, service: str, method: str, path: str, **kwargs) -> dict:
    try:
        response = await client.request(method, path, **kwargs)
    except httpx.HTTPError as exc:
        raise ServiceFailed(service, f"unreachable ({type(exc).__name__})") from None
    if response.status_code >= 400:
        try:
            reason = response.json().get("error", response.status_code)
        except ValueError:
            reason = response.status_code
        raise ServiceFailed(service, f"{method} {path}: {response.status_code} {reason}")
    return response.json()


async def run_retention(clients: dict[str, httpx.AsyncClient], *, dry_run: bool) -> dict[str, dict]:
    """{service: its answer (counts per table, periods with their basis)}, one service after another."""
    out = {}
    for service, client in clients.items():
        out[service] = await _call(client, service, "POST", "/ops/retention", json={"dry_run": dry_run})
    return out


async def gather_disclosure(clients: dict[str, httpx.AsyncClient], addressee_id: str) -> dict:
    """The 開示 document: every service's section, or ServiceFailed naming the first that did not answer."""
    if not ADDRESSEE.match(addressee_id):
        raise ValueError("the 宛名番号 is 1-15 digits")
    sections = await asyncio.gather(
        *(_call(c, s, "GET", f"/disclosure/{addressee_id}") for s, c in clients.items()),
        return_exceptions=True,
    )
    for section in sections:
        if isinstance(section, BaseException):
            raise section
    return {
        "addressee_id": addressee_id,
        "generated_at": datetime.now(UTC).isoformat(),
        "legal_basis": "個人情報保護法 §76 (開示請求); withholding per §78 is decided by the officer on this document",
        "services": {service: section for service, section in zip(clients, sections, strict=True)},
    }


def summary_text(document: dict) -> str:
    """A readable summary: per service and section, its title and how many records are held."""
    lines = [
        f"開示請求 export for 宛名番号 {document['addressee_id']}",
        f"generated {document['generated_at']}",
        document["legal_basis"],
        "",
    ]
    for service, section in document["services"].items():
        records = section["records"]
        total = sum(len(s["rows"]) for s in records.values())
        lines.append(f"== {service}: {total} records")
        for key, s in records.items():
            if s["rows"]:
                lines.append(f"   {s['title']} ({key}): {len(s['rows'])}")
        lines.append("")
    return "\n".join(lines)


def _clients(urls: dict[str, str], services: list[str], token: str) -> dict[str, httpx.AsyncClient]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return {
        s: httpx.AsyncClient(base_url=urls[s], headers=headers, timeout=300, verify=http_verify_from_env())
        for s in services
    }


async def _with_clients(clients, work):
    try:
        return await work(clients)
    finally:
        for client in clients.values():
            await client.aclose()


def _fail(message: str, code: int = 1):
    console.print(f"error: {message}", markup=False)
    raise typer.Exit(code)


@retention_app.command("run")
def retention_run(
    service: list[str] = typer.Option(None, "--service", help="only these services (repeatable)"),
    delete: bool = typer.Option(False, "--delete", help="delete (without it: a dry run that counts only)"),
    url: list[str] = URLS,
    token: str = TOKEN,
) -> None:
    """Run each service's retention job; print one JSON line per service (counts only)."""
    chosen = service or list(SERVICES)
    unknown = [s for s in chosen if s not in SERVICES]
    if unknown:
        _fail(f"unknown service {unknown[0]!r} (one of {', '.join(SERVICES)})", 2)
    clients = _clients(service_urls(url), chosen, token)
    try:
        answers = asyncio.run(_with_clients(clients, lambda c: run_retention(c, dry_run=not delete)))
    except ServiceFailed as exc:
        _fail(str(exc))
    for answer in answers.values():
        print(json.dumps({k: answer[k] for k in ("service", "dry_run", "counts")}, ensure_ascii=False))


@disclosure_app.command("export")
def disclosure_export(
    addressee: str = typer.Option(..., "--addressee", help="宛名番号 of the person who asked"),
    out: Path = typer.Option(..., "--out", help="the JSON document; the summary goes beside it (.txt)"),
    url: list[str] = URLS,
    token: str = TOKEN,
) -> None:
    """Gather everything the five services hold about one 宛名番号 into one document."""
    if not ADDRESSEE.match(addressee):
        _fail("--addressee is a 宛名番号 (1-15 digits)", 2)
    clients = _clients(service_urls(url), list(SERVICES), token)
    try:
        document = asyncio.run(_with_clients(clients, lambda c: gather_disclosure(c, addressee)))
    except ServiceFailed as exc:
        _fail(f"{exc}; nothing written (an export must hold every service)")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
    summary = out.with_suffix(".txt")
    summary.write_text(summary_text(document), encoding="utf-8")
    console.print(f"wrote {out} and {summary}", markup=False)
