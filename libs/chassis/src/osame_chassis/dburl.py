"""Database URLs as operators get them, turned into what SQLAlchemy's async drivers take.

Managed PostgreSQL, CloudNativePG and most tools hand out `postgresql://…` or `postgres://…`
URLs with libpq parameters (`?sslmode=verify-full&sslrootcert=/etc/ca.pem`). SQLAlchemy would
pick the psycopg driver for the first (not installed) and reject the second, and asyncpg takes
no `sslmode` keyword. So: every PostgreSQL URL runs on asyncpg, and its libpq parameters are
handed to asyncpg's own libpq-compatible DSN parser (the `dsn` argument of `asyncpg.connect`),
which turns `sslmode`/`sslrootcert`/`sslcert`/`sslkey`/`sslpassword`/`sslcrl` into its `ssl`
argument exactly as libpq would (verify-full checks the CA and the host name, require only
encrypts unless a root certificate is given, disable never uses TLS, prefer tries TLS first).
A `sqlite://` URL runs on aiosqlite.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

POSTGRES_DRIVER = "postgresql+asyncpg"
SQLITE_DRIVER = "sqlite+aiosqlite"
SSL_MODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
CERTIFICATE_PARAMETERS = ("sslrootcert", "sslcert", "sslkey", "sslcrl")


class DatabaseUrlError(ValueError):
    """A database URL that cannot work; the message names the problem, never the password."""


def _parse(url: str) -> URL:
    try:
        return make_url(url)
    except ArgumentError:
        raise DatabaseUrlError(
            "is not a database URL (expected postgresql://user:password@host:5432/database or sqlite:///path)"
        ) from None


def normalise(url: str) -> str:
    """The URL with the driver Osame uses for its database (asyncpg or aiosqlite), query kept."""
    parsed = _parse(url)
    backend, _, driver = parsed.drivername.partition("+")
    if backend in ("postgresql", "postgres"):
        if driver not in ("", "asyncpg"):
            raise DatabaseUrlError(f"driver {driver!r} is not installed; use postgresql:// (asyncpg)")
        parsed = parsed.set(drivername=POSTGRES_DRIVER)
        _check_postgres_query(parsed)
    elif backend == "sqlite":
        if driver not in ("", "aiosqlite"):
            raise DatabaseUrlError(f"driver {driver!r} is not installed; use sqlite:///path (aiosqlite)")
        parsed = parsed.set(drivername=SQLITE_DRIVER)
    else:
        raise DatabaseUrlError(f"database {backend!r} is not supported; use postgresql:// or sqlite://")
    return parsed.render_as_string(hide_password=False)


def _check_postgres_query(url: URL) -> None:
    mode = url.query.get("sslmode")
    if mode is not None and mode not in SSL_MODES:
        raise DatabaseUrlError(f"sslmode={mode!r} is not one of {', '.join(SSL_MODES)}")
    for name in CERTIFICATE_PARAMETERS:
        value = url.query.get(name)
        if isinstance(value, str) and value and not Path(value).expanduser().is_file():
            raise DatabaseUrlError(f"{name} names a file that does not exist or cannot be read")


def engine_arguments(url: str) -> tuple[str, dict]:
    """(URL for `create_async_engine`, its `connect_args`) for a service database URL."""
    normalised = normalise(url)
    parsed = make_url(normalised)
    if parsed.drivername != POSTGRES_DRIVER or not parsed.query:
        return normalised, {}
    # asyncpg parses the libpq parameters itself; host, user, password and database come from the
    # URL's own fields (explicit arguments win over the DSN's).
    dsn = "postgresql://?" + urlencode(
        [
            (key, item)
            for key, value in parsed.query.items()
            for item in (value if isinstance(value, tuple) else (value,))
        ]
    )
    return parsed.set(query={}).render_as_string(hide_password=False), {"dsn": dsn}


def describe(url: str) -> str:
    """Where a URL points, safe to print: `postgresql host:port/database` or `sqlite path`."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return "an unparsable URL"
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return f"the SQLite file {parsed.database}"
    return f"{parsed.host or 'localhost'}:{parsed.port or 5432}/{parsed.database or ''}"
