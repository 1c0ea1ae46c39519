"""``osame collection``: run and watch the nightly batch of a running collection service, fetch its
print output, and run the batch benchmark.

  osame collection batch --date 2026-07-15             start the batch, show a progress bar, print the summary
  osame collection letters BATCH_ID --out DIR          download letters.csv (print vendor) and sample.pdf
  osame collection benchmark --database-url URL        1,000,000 open installments vs an UPDATE baseline

The service is reached at ``--url`` (env ``OSAME_COLLECTION_URL``) with a staff bearer token
(``--token`` / env ``OSAME_TOKEN``; ``osame dev-token`` makes one for development).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import httpx
import typer
from osame_chassis.tls import http_verify_from_env
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

collection_app = typer.Typer(
    name="collection",
    help="滞納管理: nightly batch (督促, 延滞金, 履行監視), print output, benchmark.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
console = Console(stderr=True)

URL = typer.Option(
    os.environ.get("OSAME_COLLECTION_URL", "http://127.0.0.1:8103"),
    "--url",
    help="collection service base URL",
)
TOKEN = typer.Option(
    os.environ.get("OSAME_TOKEN", ""), "--token", help="staff bearer token (env OSAME_TOKEN)"
)


def _fail(message: str, code: int = 2) -> None:
    console.print(f"error: {message}", markup=False)
    raise typer.Exit(code)


def _client(url: str, token: str) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=url, headers=headers, timeout=60, verify=http_verify_from_env())


def _check(response: httpx.Response) -> dict:
    if response.status_code >= 400:
        try:
            reason = response.json().get("error", response.text)
        except ValueError:
            reason = response.text
        _fail(f"{response.request.method} {response.request.url.path}: {response.status_code} {reason}")
    return response.json()


@collection_app.command()
def batch(
    batch_date: str = typer.Option(..., "--date", help="batch date (ISO), e.g. 2026-07-15"),
    url: str = URL,
    token: str = TOKEN,
    poll: float = typer.Option(0.5, help="seconds between progress polls"),
) -> None:
    """Start the nightly batch on the service, follow it with a progress bar, print its summary (JSON)."""
    try:
        date.fromisoformat(batch_date)
    except ValueError:
        _fail(f"--date {batch_date!r} is not an ISO date (YYYY-MM-DD)")
    try:
        with _client(url, token) as http:
            started = _check(http.post("/batches/nightly", json={"batch_date": batch_date, "wait": False}))
            batch_id = started["batch_id"]
            with Progress(
                TextColumn("[bold]nightly batch"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
            ) as bar:
                task = bar.add_task("batch", total=None)
                while True:
                    status = _check(http.get(f"/batches/{batch_id}"))
                    live = status.get("progress") or {}
                    bar.update(task, completed=live.get("processed", 0), total=live.get("total") or None)
                    if status["status"] == "done":
                        break
                    if status["status"] == "failed":
                        _fail("the batch failed; see the service log", 1)
                    time.sleep(poll)
    except httpx.HTTPError as exc:
        _fail(f"cannot reach the collection service at {url} ({type(exc).__name__})")
    print(json.dumps(status["summary"], ensure_ascii=False, indent=2))


@collection_app.command()
def letters(
    batch_id: str = typer.Argument(..., help="batch id (from `batch`)"),
    out: Path = typer.Option(Path("."), "--out", help="directory for letters.csv and sample.pdf"),
    url: str = URL,
    token: str = TOKEN,
) -> None:
    """Download a batch's print-vendor file (letters.csv) and a rendered sample (sample.pdf)."""
    out.mkdir(parents=True, exist_ok=True)
    with _client(url, token) as http:
        for name in ("letters.csv", "sample.pdf"):
            response = http.get(f"/batches/{batch_id}/{name}")
            if response.status_code >= 400:
                _check(response)
            (out / name).write_bytes(response.content)
            console.print(f"wrote {out / name}", markup=False)


@collection_app.command()
def benchmark(
    database_url: str = typer.Option(..., "--database-url", help="an EMPTY database (SQLAlchemy async URL)"),
    rows: int = typer.Option(1_000_000, min=1, max=20_000_000, help="open installments to generate"),
    batch_date: str = typer.Option("2026-11-27", "--date", help="batch date"),
    rounds: int = typer.Option(3, min=1, max=20, help="timed rounds of baseline + batch (medians reported)"),
) -> None:
    """Time the nightly batch over ROWS open installments and a one-column UPDATE baseline (same run,
    each timing after VACUUM + CHECKPOINT, medians of ROUNDS)."""
    command = [
        sys.executable,
        "-m",
        "osame_collection",
        "benchmark",
        "--rows",
        str(rows),
        "--date",
        batch_date,
        "--rounds",
        str(rounds),
        "--database-url",
        database_url,
    ]
    raise typer.Exit(subprocess.call(command))
