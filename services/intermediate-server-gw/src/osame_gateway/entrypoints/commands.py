"""Operator commands of `osame-gateway`: `load-permitted [FILE]` and `retention`.

Both run as the operator of a verified staff token (`--token TOKEN` or OSAME_OPERATOR_TOKEN,
granting `intermediate-server-gw:permitted-list.load` / `intermediate-server-gw:retention.run`;
osame_chassis.operator); each run is written to the gateway's hash-chained audit log under the
token's subject, with its counts, and a refused token is audited too (issue 13 item 9). They are
`ServiceSpec.commands`, dispatched by the chassis `service_main`.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from osame_chassis import migrations
from osame_chassis.runtime import ServiceRuntime, ServiceSpec

from osame_gateway.adapters.repository import AUDIT

DEFAULT_LIST = Path(__file__).parents[1] / "data" / "permitted_queries_row48.json"

PERMISSIONS = {
    "load-permitted": ("intermediate-server-gw:permitted-list.load", "permitted-list.load"),
    "retention": ("intermediate-server-gw:retention.run", "retention.purge"),
}


async def _load_permitted(spec: ServiceSpec, document: object, name: str, operator: str) -> int:
    from osame_gateway.service_layer.permitted import load_permitted_list

    runtime = ServiceRuntime(spec, provider=None)
    try:
        await migrations.upgrade(runtime.engine, spec.migrations)
        async with runtime.unit_of_work() as uow:
            added, changed, removed = await load_permitted_list(uow, document, operator)
        print(f"permitted-query list loaded from {name}: {added} added, {changed} changed, {removed} removed")
        return 0
    finally:
        await runtime.engine.dispose()


async def _audit_refused_load(spec: ServiceSpec, operator: str, errors: int) -> None:
    """A refused list file changes nothing, but the attempt is audited too (who, how many errors)."""
    runtime = ServiceRuntime(spec, provider=None)
    try:
        await migrations.upgrade(runtime.engine, spec.migrations)
        async with runtime.sessions() as session, session.begin():
            await AUDIT.append(
                session,
                user=operator,
                operation="permitted-list.load",
                outcome=f"refused:errors={errors}",
                client="cli:gateway",
            )
    finally:
        await runtime.engine.dispose()


async def _operator(spec: ServiceSpec, token: str | None, command: str) -> str | None:
    """The verified operator of `token` for `command`, or None (the refusal is audited)."""
    from osame_chassis.auth import AuthError
    from osame_chassis.operator import operator_token, verify_operator

    permission, operation = PERMISSIONS[command]
    try:
        return await verify_operator(operator_token(token), permission)
    except AuthError as exc:
        runtime = ServiceRuntime(spec, provider=None)
        try:
            await migrations.upgrade(runtime.engine, spec.migrations)
            await AUDIT.writer(runtime.sessions, "cli:gateway")(
                exc.user or "-", operation, f"refused:{exc.code}"
            )
        finally:
            await runtime.engine.dispose()
        print(
            f"refused: {exc.code} (give your staff token with --token or OSAME_OPERATOR_TOKEN)",
            file=sys.stderr,
        )
        return None


async def _retention(spec: ServiceSpec, operator: str) -> None:
    from osame_gateway.service_layer.retention import purge_expired

    runtime = ServiceRuntime(spec, provider=None)
    try:
        async with runtime.unit_of_work() as uow:
            result = await purge_expired(
                uow, spec.settings.provision_record_retention_days, operator=operator
            )
        print(
            f"retention: deleted {result.records_deleted} provision records and {result.queries_deleted} "
            f"finished queries older than {result.cutoff.date().isoformat()}"
        )
    finally:
        await runtime.engine.dispose()


def _as_operator(spec: ServiceSpec, argv: list[str]) -> tuple[str, list[str]]:
    """The verified operator and argv without `--token VALUE`; exits 2 when refused."""
    token = None
    if "--token" in argv:
        at = argv.index("--token")
        if at + 1 >= len(argv):
            print("--token needs a value", file=sys.stderr)
            sys.exit(2)
        token = argv[at + 1]
        argv = argv[:at] + argv[at + 2 :]
    operator = asyncio.run(_operator(spec, token, argv[0]))
    if operator is None:
        sys.exit(2)
    return operator, argv


def load_permitted(spec: ServiceSpec, argv: list[str]) -> None:
    """load the permitted-query list (照会許可用照合リスト) from FILE (default: row 48); audited."""
    from osame_gateway.domain.permitted_list import PermittedListError

    operator, argv = _as_operator(spec, argv)
    path = Path(argv[1]) if len(argv) > 1 else DEFAULT_LIST
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        sys.exit(asyncio.run(_load_permitted(spec, document, path.name, operator)))
    except PermittedListError as err:
        asyncio.run(_audit_refused_load(spec, operator, len(err.errors)))
        print(f"{path.name}: nothing loaded:", file=sys.stderr)
        for line in err.errors:
            print(f"  {line}", file=sys.stderr)
        sys.exit(2)
    except (OSError, json.JSONDecodeError) as err:
        print(f"{path.name}: cannot read ({type(err).__name__}: {err})", file=sys.stderr)
        sys.exit(2)


def retention(spec: ServiceSpec, argv: list[str]) -> None:
    """delete provision records and finished queries past their retention period; audited."""
    from osame_chassis.logs import configure_logging

    operator, _ = _as_operator(spec, argv)
    configure_logging("intermediate-server-gw", "INFO", json_format=False)
    asyncio.run(_retention(spec, operator))


COMMANDS = {"load-permitted": load_permitted, "retention": retention}
