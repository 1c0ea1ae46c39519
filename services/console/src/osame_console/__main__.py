"""`osame-console`: serve the staff console (default), `migrate` its database, or autogenerate a
`revision` (development). Configuration: `OSAME_CONSOLE_*`, `OSAME_AUTH_*`, standard `OTEL_*`."""

from __future__ import annotations

import argparse
import asyncio
import signal
import tempfile
from pathlib import Path

import uvicorn
from osame_chassis import migrations
from osame_chassis.db import create_engine

from osame_console.bootstrap import MIGRATIONS, build_app, configure
from osame_console.settings import ConsoleSettings


async def _migrate(settings: ConsoleSettings) -> None:
    engine = create_engine(settings.effective_database_url)
    try:
        await migrations.upgrade(engine, MIGRATIONS)
    finally:
        await engine.dispose()


def _revision(message: str) -> None:
    from alembic import command

    with tempfile.TemporaryDirectory() as tmp:
        config = migrations.alembic_config(MIGRATIONS, f"sqlite+aiosqlite:///{Path(tmp) / 'scratch.db'}")
        command.upgrade(config, "head")
        versions = sorted(p.name for p in (MIGRATIONS / "versions").glob("[0-9][0-9][0-9][0-9]_*.py"))
        next_id = f"{int(versions[-1][:4]) + 1:04d}" if versions else "0001"
        command.revision(config, message=message, autogenerate=True, rev_id=next_id)


async def serve(settings: ConsoleSettings) -> None:
    configure(settings)
    app = build_app(settings)
    server = uvicorn.Server(
        uvicorn.Config(app, host=settings.http_host, port=settings.http_port, log_config=None, lifespan="on")
    )
    server.install_signal_handlers = lambda: None  # ours: SIGTERM/SIGINT stop the server gracefully
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: setattr(server, "should_exit", True))
    await server.serve()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Osame staff console (職員コンソール).")
    parser.add_argument("command", nargs="?", default="serve", choices=["serve", "migrate", "revision"])
    parser.add_argument("-m", "--message", default="change", help="migration message (with `revision`)")
    args = parser.parse_args(argv)
    settings = ConsoleSettings()
    if args.command == "migrate":
        asyncio.run(_migrate(settings))
        print("console: database at head")
    elif args.command == "revision":
        _revision(args.message)
    else:
        asyncio.run(serve(settings))


if __name__ == "__main__":
    main()
