"""`osame bus …`: provision a broker namespace (exchanges, one user per principal, least-privilege
permissions and topic permissions), show the grants, make staff proof keys.

`provision` is idempotent; compose's `broker-setup` service and the Kubernetes Job run it. It
talks to RabbitMQ's management API as an administrator (`--admin-url`, env
OSAME_BROKER_ADMIN_URL; the API at port 15672 of that host unless OSAME_AMQP_MANAGEMENT_URL
says otherwise). Passwords come from the environment, `OSAME_BROKER_PASSWORD_<PRINCIPAL>`
(upper case, `-` as `_`, e.g. OSAME_BROKER_PASSWORD_ADDRESS_SYNC), or from files named after
the principals in `--passwords-dir` (mounted secrets); a principal with no password is skipped.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import typer
from osame_chassis.messaging.grants import OPERATOR, all_grants
from osame_chassis.messaging.provision import ProvisioningFailed, deprovision, provision
from osame_chassis.messaging.staff_proof import generate_key
from osame_contracts.publishers import PRINCIPALS
from rich.console import Console
from rich.table import Table

bus_app = typer.Typer(
    help="Broker namespace: users, permissions, topic permissions; staff proof keys.",
    rich_markup_mode=None,
    no_args_is_help=True,
)
console = Console()

ADMIN = typer.Option(
    "",
    "--admin-url",
    envvar="OSAME_BROKER_ADMIN_URL",
    help="AMQP URL of a broker administrator (env OSAME_BROKER_ADMIN_URL); never a service's",
)
PREFIX = typer.Option(
    "", "--prefix", envvar="OSAME_AMQP_PREFIX", help="Broker name prefix (env OSAME_AMQP_PREFIX)"
)


def password_variable(principal: str) -> str:
    return "OSAME_BROKER_PASSWORD_" + principal.upper().replace("-", "_")


def passwords_from(directory: Path | None) -> dict[str, str]:
    found: dict[str, str] = {}
    for principal in (*PRINCIPALS, OPERATOR):
        value = os.environ.get(password_variable(principal), "")
        if directory is not None and (directory / principal).is_file():
            value = (directory / principal).read_text(encoding="utf-8").strip()
        if value:
            found[principal] = value
    return found


def _require_admin(admin_url: str) -> str:
    if not admin_url:
        console.print("[red]--admin-url (or OSAME_BROKER_ADMIN_URL) is required[/]")
        raise typer.Exit(2)
    return admin_url


@bus_app.command("provision")
def bus_provision(
    admin_url: str = ADMIN,
    prefix: str = PREFIX,
    passwords_dir: Path = typer.Option(
        None, "--passwords-dir", help="A file per principal holding its password"
    ),
) -> None:
    """Create or update the exchanges and every principal's user, permissions and topic permissions."""
    passwords = passwords_from(passwords_dir)
    if not passwords:
        console.print("[red]no passwords given: set OSAME_BROKER_PASSWORD_<PRINCIPAL> or --passwords-dir[/]")
        raise typer.Exit(2)
    try:
        accounts = provision(_require_admin(admin_url), prefix, passwords)
    except ProvisioningFailed as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from exc
    table = Table("principal", "broker user", "state")
    for principal in (*PRINCIPALS, OPERATOR):
        state = "provisioned" if principal in accounts.passwords else "skipped (no password)"
        table.add_row(principal, accounts.user(principal), state)
    console.print(table)


@bus_app.command("deprovision")
def bus_deprovision(
    admin_url: str = ADMIN,
    prefix: str = PREFIX,
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation"),
) -> None:
    """Delete every principal's broker user of the namespace (services can no longer connect)."""
    if not yes and not typer.confirm(f"Delete the broker users of namespace {prefix!r}?", default=False):
        raise typer.Exit(1)
    deprovision(_require_admin(admin_url), prefix)
    console.print(f"deleted the broker users of namespace {prefix!r}")


@bus_app.command("grants")
def bus_grants(prefix: str = PREFIX, as_json: bool = typer.Option(False, "--json")) -> None:
    """Show what each broker user may configure, write and read, and its topic permissions."""
    grants = all_grants(prefix)
    if as_json:
        print(json.dumps([g.__dict__ | {"topics": [t.__dict__ for t in g.topics]} for g in grants], indent=2))
        return
    for g in grants:
        console.print(f"[bold]{g.user}[/] {' '.join(g.tags)}")
        console.print(f"  configure {g.configure or '(nothing)'}\n  write     {g.write or '(nothing)'}")
        console.print(f"  read      {g.read or '(nothing)'}")
        for t in g.topics:
            console.print(
                f"  topic {t.exchange}: write {t.write or '(nothing)'} · read {t.read or '(nothing)'}"
            )


@bus_app.command("staff-key")
def bus_staff_key(
    principal: str = typer.Option(..., "--principal", help="Who signs: collection, atena, …"),
    out_dir: Path = typer.Option(
        ..., "--out-dir", help="Writes <principal>.key (private) and <principal>.pub"
    ),
    public_keys_file: Path = typer.Option(
        None, "--public-keys-file", help="Also add the public key to this JSON mapping (created if missing)"
    ),
) -> None:
    """A new staff proof key pair (EC P-256). Give the private key to the signer only
    (OSAME_STAFF_PROOF_SIGNING_KEY_FILE) and the public key to every receiver
    (OSAME_STAFF_PROOF_PUBLIC_KEYS(_FILE), as {"<principal>": ["<PEM>", …]})."""
    if principal not in PRINCIPALS:
        console.print(f"[red]unknown principal {principal!r}; one of {', '.join(PRINCIPALS)}[/]")
        raise typer.Exit(2)
    private, public = generate_key()
    out_dir.mkdir(parents=True, exist_ok=True)
    key_path = out_dir / f"{principal}.key"
    key_path.touch(mode=0o600)
    key_path.write_text(private, encoding="utf-8")
    (out_dir / f"{principal}.pub").write_text(public, encoding="utf-8")
    if public_keys_file is not None:
        known = json.loads(public_keys_file.read_text(encoding="utf-8")) if public_keys_file.exists() else {}
        known.setdefault(principal, []).append(public)
        public_keys_file.write_text(json.dumps(known, indent=2) + "\n", encoding="utf-8")
    console.print(f"wrote {key_path} (keep it secret) and {out_dir / (principal + '.pub')}")
