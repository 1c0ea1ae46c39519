"""``osame address``: key maintenance for the sealed 個人番号 held by address-sync.

Mount with ``app.add_typer(address_app, name="address")``. Configuration is the service's
own (``OSAME_DATABASE_URL`` or ``OSAME_DATA_DIR``, ``OSAME_MYNUMBER_KEY``, ``OSAME_MYNUMBER_KEY_ID``,
``OSAME_MYNUMBER_KEYS``); no command ever prints a 個人番号 or key material other than a newly
generated key.

Rotation, step by step:
  1. ``osame address generate-key`` → a new base64 key; add it as ``k2:<key>`` to OSAME_MYNUMBER_KEYS
     next to the old one, set OSAME_MYNUMBER_KEY_ID=k2, restart address-sync (new numbers use k2;
     lookups work under both keys).
  2. ``osame address rotate-key`` → re-encrypts and re-indexes every sealed number under k2.
  3. ``osame address key-usage`` shows only k2 → remove the old key from the configuration.
"""

from __future__ import annotations

import asyncio
import base64
import os

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

address_app = typer.Typer(
    name="address",
    help="address-sync (宛名): 個人番号 key generation, usage and rotation.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
console = Console(stderr=True)


def _settings(database_url: str | None):
    from osame_address_sync.bootstrap import AddressSyncSettings

    overrides = {"database_url": database_url} if database_url else {}
    return AddressSyncSettings(**overrides)


OPERATOR = typer.Option(
    None,
    "--token",
    envvar="OSAME_OPERATOR_TOKEN",
    help="your staff token; the run is audited in address-sync's log under its subject",
)

DATABASE = typer.Option(
    None,
    "--database-url",
    help="address-sync's database (SQLAlchemy async URL); default from OSAME_DATABASE_URL",
)


@address_app.command("generate-key")
def generate_key() -> None:
    """Print a new random AES-256 key (base64, 32 bytes) for OSAME_MYNUMBER_KEY(S)."""
    print(base64.b64encode(os.urandom(32)).decode())


@address_app.command("transport-key")
def transport_key(key_id: str = typer.Argument("t1", help="id of the new key")) -> None:
    """Print a new X25519 transport key pair: the private line goes into address-sync's
    OSAME_MYNUMBER_TRANSPORT_KEYS, the public line to every publisher of 個人番号 (issue 13 item 4)."""
    from osame_chassis.sealed_number import generate_keypair

    private, public = generate_keypair()
    print(f"private (OSAME_MYNUMBER_TRANSPORT_KEYS): {key_id}:{private}")
    print(f"public (OSAME_MYNUMBER_TRANSPORT_PUBLIC_KEY): {key_id}:{public}")


def _as_operator(work):
    """Run `work()` (a coroutine factory); a refused operator token is exit code 2."""
    from osame_chassis.operator import OperatorRefused

    try:
        return asyncio.run(work())
    except OperatorRefused as refused:
        console.print(f"error: {refused}")
        raise typer.Exit(2) from None


@address_app.command("key-usage")
def key_usage(database_url: str = DATABASE, token: str | None = OPERATOR) -> None:
    """Count sealed 個人番号 (current and history) per key id (audited)."""
    from osame_address_sync.entrypoints.keys import usage

    counts = _as_operator(lambda: usage(_settings(database_url), token))
    if not counts:
        print("no sealed numbers")
    for key_id, count in sorted(counts.items()):
        print(f"{key_id}\t{count}")


@address_app.command("rotate-key")
def rotate_key(
    database_url: str = DATABASE,
    batch_size: int = typer.Option(500, min=1, max=10_000, help="rows re-encrypted per transaction"),
    token: str | None = OPERATOR,
) -> None:
    """Re-encrypt every sealed 個人番号 under the active key (OSAME_MYNUMBER_KEY_ID); safe to re-run (audited)."""
    from osame_address_sync.adapters.sealing import KeyConfigurationError
    from osame_address_sync.entrypoints.keys import rotate

    try:
        settings = _settings(database_url)
        if settings.keyring() is None:
            raise KeyConfigurationError("no key configured: set OSAME_MYNUMBER_KEY or OSAME_MYNUMBER_KEYS")
    except KeyConfigurationError as err:
        console.print(f"error: {err}")
        raise typer.Exit(2) from None
    with Progress(
        TextColumn("re-encrypting"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    ) as progress:
        task = progress.add_task("rotate", total=None)

        def update(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        report = _as_operator(lambda: rotate(settings, batch_size=batch_size, progress=update, token=token))
    print(f"active key {report.active_key_id}: re-encrypted {report.rotated}")
    print("usage after: " + ", ".join(f"{k}={v}" for k, v in sorted(report.after.items())))
