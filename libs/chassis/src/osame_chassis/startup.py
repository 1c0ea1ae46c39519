"""Start-up checks that turn a misconfiguration into one clear line and a non-zero exit.

Before a service migrates, declares or consumes anything it connects once to its database and
once to the broker, with short timeouts and no retries. A wrong password, an unreachable host,
a missing database or virtual host becomes a `ConfigurationError` whose message says what is
wrong and which setting to change (never the value: URLs hold passwords), instead of seconds of
retry warnings and a long traceback. `run_checked` prints that line and exits with
`EXIT_CONFIG` (78, sysexits' EX_CONFIG); Kubernetes and compose show it as the container's last
log line and restart it with back-off.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar
from urllib.parse import unquote, urlsplit

from pydantic import ValidationError

from osame_chassis.dburl import DatabaseUrlError, describe, engine_arguments
from osame_chassis.settings import ConfigurationError, ServiceSettings, explain_validation_error

EXIT_CONFIG = 78
CONNECT_TIMEOUT_SECONDS = 10.0
T = TypeVar("T")


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = getattr(current, "orig", None) or current.__cause__ or current.__context__


def _root(exc: BaseException, *types: type[BaseException]) -> BaseException | None:
    return next((e for e in _chain(exc) if isinstance(e, types)), None)


def _named(exc: BaseException, *names: str) -> BaseException | None:
    return next((e for e in _chain(exc) if type(e).__name__ in names), None)


def _network_reason(exc: BaseException) -> str | None:
    if _root(exc, socket.gaierror):
        return "the host name does not resolve"
    if _root(exc, ConnectionRefusedError):
        return "connection refused"
    if _root(exc, TimeoutError, asyncio.TimeoutError):
        return f"no answer within {CONNECT_TIMEOUT_SECONDS:.0f} s"
    if found := _root(exc, OSError):
        return f"network error ({type(found).__name__})"
    return None


def database_problem(exc: BaseException, url: str) -> str:
    """What is wrong with the database connection, in one sentence naming OSAME_DATABASE_URL."""
    where = describe(url)
    if found := _root(exc, DatabaseUrlError):
        return f"OSAME_DATABASE_URL {found}"
    if _named(exc, "InvalidPasswordError"):
        return f"the database at {where} refused the password; check the password in OSAME_DATABASE_URL"
    if _named(exc, "InvalidAuthorizationSpecificationError"):
        return (
            f"the database at {where} refused the user (no such role, or pg_hba.conf does not allow it "
            "from here); check the user in OSAME_DATABASE_URL"
        )
    if _named(exc, "InvalidCatalogNameError"):
        return f"the database {where} does not exist; create it, or fix its name in OSAME_DATABASE_URL"
    if _named(exc, "TooManyConnectionsError"):
        return f"the database at {where} has no free connection (max_connections reached); try again later"
    if _root(exc, ssl.SSLCertVerificationError):
        return (
            f"the database server's TLS certificate did not verify for {where}; check sslrootcert and "
            "sslmode in OSAME_DATABASE_URL"
        )
    if _root(exc, ssl.SSLError) or any("SSL" in str(e) for e in _chain(exc)):
        return (
            f"TLS to the database at {where} failed; check sslmode and the certificates in OSAME_DATABASE_URL"
        )
    if reason := _network_reason(exc):
        if url.startswith("sqlite"):
            return f"cannot open {where} ({reason}); check OSAME_DATA_DIR or OSAME_DATABASE_URL"
        return (
            f"cannot reach the database at {where} ({reason}); check the host and port in OSAME_DATABASE_URL"
        )
    return f"cannot use the database at {where} ({type(exc).__name__}); check OSAME_DATABASE_URL"


def broker_problem(exc: BaseException, url: str) -> str:
    """What is wrong with the broker connection, in one sentence naming OSAME_AMQP_URL."""
    parts = urlsplit(url)
    user = unquote(parts.username or "guest")
    vhost = unquote(parts.path[1:]) if len(parts.path) > 1 else "/"
    where = f"{parts.hostname or 'localhost'}:{parts.port or (5671 if parts.scheme == 'amqps' else 5672)}"
    if _named(exc, "ProbableAuthenticationError", "AuthenticationError"):
        return (
            f"the broker at {where} refused user {user!r} (wrong user name or password); "
            "check the credentials in OSAME_AMQP_URL"
        )
    if _root(exc, ssl.SSLCertVerificationError):
        return (
            f"the broker's TLS certificate did not verify for {where} (unknown CA or wrong host name); "
            "check OSAME_AMQP_CA_FILE and the host in OSAME_AMQP_URL"
        )
    if _root(exc, ssl.SSLError):
        return (
            f"TLS to the broker at {where} failed; check OSAME_AMQP_URL (amqps:// port) and OSAME_AMQP_*_FILE"
        )
    if _named(exc, "InvalidFrameError", "ConnectionNotAllowed") or "NOT_ALLOWED" in str(exc):
        return (
            f"the broker at {where} refused virtual host {vhost!r} for user {user!r} (it does not exist, "
            "or the user has no permission on it); check the virtual host in OSAME_AMQP_URL"
        )
    if reason := _network_reason(exc):
        return f"cannot reach the broker at {where} ({reason}); check the host and port in OSAME_AMQP_URL"
    return f"cannot connect to the broker at {where} ({type(exc).__name__}); check OSAME_AMQP_URL"


@contextmanager
def _quiet(*names: str) -> Iterator[None]:
    """The client libraries log each failed attempt; the one explanation is ours."""
    loggers = [logging.getLogger(n) for n in names]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


async def check_database(url: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    from osame_chassis.db import create_engine, is_sqlite

    try:
        if is_sqlite(url):
            engine = create_engine(url)
        else:
            target, connect_args = engine_arguments(url)
            engine = create_async_engine(
                target, connect_args={**connect_args, "timeout": CONNECT_TIMEOUT_SECONDS}
            )
        try:
            async with asyncio.timeout(CONNECT_TIMEOUT_SECONDS + 2), engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        finally:
            await engine.dispose()
    except Exception as exc:
        raise ConfigurationError(database_problem(exc, url)) from exc


async def check_broker(url: str, ssl_context: ssl.SSLContext | None = None) -> None:
    import aio_pika

    try:
        with _quiet("aiormq", "aio_pika"):
            connection = await aio_pika.connect(url, timeout=CONNECT_TIMEOUT_SECONDS, ssl_context=ssl_context)
            await connection.close()
    except Exception as exc:
        raise ConfigurationError(broker_problem(exc, url)) from exc


async def preflight(settings: ServiceSettings) -> None:
    """Connect once to the database and once to the broker; raise ConfigurationError if either fails."""
    from osame_chassis.tls import amqp_ssl_context, check_transport

    check_transport(settings)  # TLS files and combinations, the development identity
    await check_database(settings.effective_database_url)
    await check_broker(settings.amqp_url, amqp_ssl_context(settings))


def run_checked(program: str, body: Callable[[], T]) -> T:
    """Run a service command; a configuration problem becomes one line on stderr and exit 78."""
    try:
        return body()
    except ConfigurationError as exc:
        message = str(exc)
    except ValidationError as exc:
        message = str(explain_validation_error(exc))
    except DatabaseUrlError as exc:
        message = f"OSAME_DATABASE_URL {exc}"
    print(f"{program}: configuration error: {message}", file=sys.stderr, flush=True)
    raise SystemExit(EXIT_CONFIG)
