"""`osame-gateway`: serve (default) | migrate | asyncapi | revision | load-permitted [FILE] | retention.

`load-permitted` and `retention` run as the operator of a verified staff token (`--token TOKEN` or
OSAME_OPERATOR_TOKEN, granting `intermediate-server-gw:permitted-list.load` /
`intermediate-server-gw:retention.run`; osame_chassis.operator); each run is written to the
gateway's hash-chained audit log under the token's subject, with its counts, and a refused token
is audited too (issue 13 item 9).

`serve` runs the chassis runner plus the gateway's background worker (pending queries through
the network, daily retention).
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from osame_chassis import runner
from osame_chassis.cli import service_main

from osame_gateway.bootstrap import build_processor, build_spec

DEFAULT_LIST = Path(__file__).parent / "data" / "permitted_queries_row48.json"


async def _serve() -> None:
    from osame_gateway.entrypoints import worker

    spec = build_spec()
    captured = []
    register = spec.register

    def register_and_capture(runtime):
        register(runtime)
        captured.append(runtime)

    spec.register = register_and_capture
    stop = asyncio.Event()

    async def background():
        while not captured:  # noqa: ASYNC110 (the runner builds the runtime inside serve())
            await asyncio.sleep(0.05)
        runtime = captured[0]
        processor = build_processor(runtime, spec.settings)
        try:
            await worker.run(runtime, processor, spec.settings, stop)
        finally:
            if processor is not None:
                await processor.network.caller.aclose()
                await processor.numbers.caller.aclose()

    task = asyncio.create_task(background(), name="gateway-worker")
    try:
        await runner.serve(spec)
    finally:
        stop.set()
        task.cancel()
        try:
            await task
        except (asyncio.CancelledError, Exception):
            pass


async def _load_permitted(document: object, name: str, operator: str) -> int:
    from osame_chassis import migrations
    from osame_chassis.runtime import ServiceRuntime

    from osame_gateway.service_layer.permitted import load_permitted_list

    spec = build_spec()
    runtime = ServiceRuntime(spec, provider=None)
    try:
        await migrations.upgrade(runtime.engine, spec.migrations)
        async with runtime.unit_of_work() as uow:
            added, changed, removed = await load_permitted_list(uow, document, operator)
        print(f"permitted-query list loaded from {name}: {added} added, {changed} changed, {removed} removed")
        return 0
    finally:
        await runtime.engine.dispose()


async def _audit_refused_load(operator: str, errors: int) -> None:
    """A refused list file changes nothing, but the attempt is audited too (who, how many errors)."""
    from osame_chassis import migrations
    from osame_chassis.runtime import ServiceRuntime

    from osame_gateway.adapters.repository import AUDIT

    spec = build_spec()
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


PERMISSIONS = {
    "load-permitted": ("intermediate-server-gw:permitted-list.load", "permitted-list.load"),
    "retention": ("intermediate-server-gw:retention.run", "retention.purge"),
}


async def _operator(token: str | None, command: str) -> str | None:
    """The verified operator of `token` for `command`, or None (the refusal is audited)."""
    from osame_chassis import migrations
    from osame_chassis.auth import AuthError
    from osame_chassis.operator import operator_token, verify_operator
    from osame_chassis.runtime import ServiceRuntime

    from osame_gateway.adapters.repository import AUDIT

    permission, operation = PERMISSIONS[command]
    try:
        return await verify_operator(operator_token(token), permission)
    except AuthError as exc:
        spec = build_spec()
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


async def _retention(operator: str) -> None:
    from osame_chassis.runtime import ServiceRuntime

    from osame_gateway.service_layer.retention import purge_expired

    spec = build_spec()
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


def main(argv: list[str] | None = None) -> None:
    from osame_chassis.logs import configure_logging

    argv = sys.argv[1:] if argv is None else argv
    command = argv[0] if argv else "serve"
    operator = None
    if command in PERMISSIONS:
        token = None
        if "--token" in argv:
            at = argv.index("--token")
            if at + 1 >= len(argv):
                print("--token needs a value", file=sys.stderr)
                sys.exit(2)
            token = argv[at + 1]
            argv = argv[:at] + argv[at + 2 :]
        operator = asyncio.run(_operator(token, command))
        if operator is None:
            sys.exit(2)
    if command in ("-h", "--help"):
        print(__doc__)
        service_main(build_spec, ["--help"])
    elif command == "serve":
        asyncio.run(_serve())
    elif command == "load-permitted":
        from osame_gateway.domain.permitted_list import PermittedListError

        path = Path(argv[1]) if len(argv) > 1 else DEFAULT_LIST
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
            sys.exit(asyncio.run(_load_permitted(document, path.name, operator)))
        except PermittedListError as err:
            asyncio.run(_audit_refused_load(operator, len(err.errors)))
            print(f"{path.name}: nothing loaded:", file=sys.stderr)
            for line in err.errors:
                print(f"  {line}", file=sys.stderr)
            sys.exit(2)
        except (OSError, json.JSONDecodeError) as err:
            print(f"{path.name}: cannot read ({type(err).__name__}: {err})", file=sys.stderr)
            sys.exit(2)
    elif command == "retention":
        configure_logging("intermediate-server-gw", "INFO", json_format=False)
        asyncio.run(_retention(operator))
    else:
        service_main(build_spec, argv)


if __name__ == "__main__":
    main()
