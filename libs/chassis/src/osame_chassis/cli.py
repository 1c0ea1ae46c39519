"""Command line of every service process: `serve` (default), `migrate`, `asyncapi`, `openapi`, …,
and the service's own operator commands (`ServiceSpec.commands`)."""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Callable

from osame_chassis import migrations, runner
from osame_chassis.asyncapi import runtime_document
from osame_chassis.db import create_engine
from osame_chassis.openapi import service_document
from osame_chassis.runtime import ServiceRuntime, ServiceSpec
from osame_chassis.settings import check_environment
from osame_chassis.startup import check_database, run_checked


async def _migrate(spec: ServiceSpec) -> None:
    await check_database(spec.settings.effective_database_url)
    engine = create_engine(spec.settings.effective_database_url)
    try:
        await migrations.upgrade(engine, spec.migrations)
    finally:
        await engine.dispose()


async def _plumbing_retention(spec: ServiceSpec, args) -> dict:
    """Counts per table; audited in the service's chassis audit log when it keeps one."""
    from osame_chassis import retention
    from osame_chassis.audit import AuditLog, chassis_audit_table, key_from_settings
    from osame_chassis.db import session_factory
    from osame_chassis.operator import operator_action

    settings = spec.settings
    engine = create_engine(settings.effective_database_url)
    try:
        await migrations.upgrade(engine, spec.migrations)
        sessions = session_factory(engine)
        table = await chassis_audit_table(engine)

        async def write(user: str, operation: str, outcome: str) -> None:
            if table is not None:
                audit = AuditLog(table, key=key_from_settings(settings))
                await audit.writer(sessions, f"cli:{settings.service_name}")(user, operation, outcome)

        permission = f"{settings.service_name}:retention.run"
        async with operator_action(
            args.token, permission, audit=write, operation="retention.plumbing"
        ) as act:
            counts = await retention.apply(sessions, retention.plumbing_rules(settings), dry_run=args.dry_run)
            act.outcome = ("dry-run:" if args.dry_run else "ok:") + ":".join(
                f"{k}={v}" for k, v in counts.items()
            )
        return {"dry_run": args.dry_run, **counts}
    finally:
        await engine.dispose()


def asyncapi_document(spec: ServiceSpec) -> dict:
    runtime = ServiceRuntime(spec, provider=None)
    spec.register(runtime)
    return runtime_document(runtime)


def _revision(spec: ServiceSpec, message: str) -> None:
    """Autogenerate the next migration by comparing the models with a scratch SQLite database at head."""
    import tempfile
    from pathlib import Path

    from alembic import command

    with tempfile.TemporaryDirectory() as tmp:
        config = migrations.alembic_config(spec.migrations, f"sqlite+aiosqlite:///{Path(tmp) / 'scratch.db'}")
        command.upgrade(config, "head")
        versions = sorted(p.name for p in (spec.migrations / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))
        next_id = f"{int(versions[-1][:4]) + 1:04d}" if versions else "0001"
        command.revision(config, message=message, autogenerate=True, rev_id=next_id)


CHASSIS_COMMANDS = ("serve", "migrate", "asyncapi", "openapi", "revision", "plumbing-retention")


def _extra_commands(spec_factory: Callable[[], ServiceSpec]) -> str:
    """The service's own commands for `--help` (nothing when its settings cannot be built)."""
    try:
        commands = spec_factory().commands
    except Exception:
        return ""
    lines = [
        f"  {name}: {(command.__doc__ or '').strip().splitlines()[0] if command.__doc__ else ''}"
        for name, command in commands.items()
    ]
    return "service commands (each with its own options):\n" + "\n".join(lines) if lines else ""


def service_main(spec_factory: Callable[[], ServiceSpec], argv: list[str] | None = None) -> None:
    """The program of one service: the chassis commands, and the service's own
    (`ServiceSpec.commands`, dispatched with their argv before the chassis parser sees it)."""
    import sys

    argv = sys.argv[1:] if argv is None else list(argv)
    program = spec_factory.__module__.split(".", 1)[0].replace("_", "-")

    def checked_spec() -> ServiceSpec:
        check_environment()  # a mistyped OSAME_* setting is refused before anything else
        return spec_factory()

    if argv and argv[0] not in CHASSIS_COMMANDS and not argv[0].startswith("-"):
        spec = run_checked(program, checked_spec)
        if argv[0] in spec.commands:
            spec.commands[argv[0]](spec, argv)
            return
    help_wanted = any(a in ("-h", "--help") for a in argv)
    parser = argparse.ArgumentParser(
        description="Run an Osame service. Configuration comes from OSAME_* and OTEL_* environment variables.",
        epilog=_extra_commands(spec_factory) if help_wanted else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "command",
        nargs="?",
        default="serve",
        choices=CHASSIS_COMMANDS,
        help="serve: migrate, consume and serve HTTP (default); migrate: upgrade the database and exit; "
        "asyncapi: print the AsyncAPI document; openapi: print the OpenAPI document; "
        "revision: autogenerate the next migration (development); "
        "plumbing-retention: delete published outbox and old inbox rows past their periods "
        "(--dry-run: counts only; runs as the operator of --token / OSAME_OPERATOR_TOKEN, audited)",
    )
    parser.add_argument("--dry-run", action="store_true", help="plumbing-retention: count, delete nothing")
    parser.add_argument("--token", default=None, help="plumbing-retention: your staff token")
    parser.add_argument("-m", "--message", default="change", help="migration message (with `revision`)")
    args = parser.parse_args(argv)
    spec = run_checked(program, checked_spec)
    if args.command == "migrate":
        run_checked(program, lambda: asyncio.run(_migrate(spec)))
        print(f"{spec.settings.service_name}: database at head")
    elif args.command == "revision":
        _revision(spec, args.message)
    elif args.command == "plumbing-retention":
        from osame_chassis.operator import OperatorRefused

        try:
            print(json.dumps(asyncio.run(_plumbing_retention(spec, args))))
        except OperatorRefused as refused:
            raise SystemExit(f"{program}: {refused}") from None
    elif args.command == "asyncapi":
        print(json.dumps(asyncapi_document(spec), ensure_ascii=False, indent=2))
    elif args.command == "openapi":
        print(json.dumps(service_document(spec), ensure_ascii=False, indent=2))
    else:
        run_checked(program, lambda: runner.main(lambda: spec))
