"""Cloud database URLs: `postgresql://`, `postgres://`, `postgresql+asyncpg://`, and libpq's TLS
parameters (sslmode, sslrootcert, sslcert, sslkey) handed to asyncpg as its `ssl` argument."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest
from osame_chassis.db import create_engine
from osame_chassis.dburl import DatabaseUrlError, engine_arguments, normalise
from osame_chassis.settings import ConfigurationError
from osame_chassis.startup import check_database
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).parent))
import pgcluster


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    yield from pgcluster.private_cluster(tmp_path_factory)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgresql://u:p@db.example:5432/osame", "postgresql+asyncpg://u:p@db.example:5432/osame"),
        ("postgres://u:p@db.example/osame", "postgresql+asyncpg://u:p@db.example/osame"),
        ("postgresql+asyncpg://u:p@db.example/osame", "postgresql+asyncpg://u:p@db.example/osame"),
        (
            "postgresql://u:p%40ss@db.example/osame?sslmode=require",
            "postgresql+asyncpg://u:p%40ss@db.example/osame?sslmode=require",
        ),
        ("sqlite:////var/lib/osame/receipts.db", "sqlite+aiosqlite:////var/lib/osame/receipts.db"),
        ("sqlite+aiosqlite:///var/x.db", "sqlite+aiosqlite:///var/x.db"),
    ],
)
def test_standard_forms_run_on_the_installed_async_drivers(given, expected):
    assert normalise(given) == expected


@pytest.mark.parametrize(
    ("given", "says"),
    [
        ("mysql://u:p@h/db", "'mysql' is not supported"),
        ("postgresql+psycopg2://u:p@h/db", "'psycopg2' is not installed"),
        ("postgresql://u:p@h/db?sslmode=always", "sslmode='always' is not one of"),
        (
            "postgresql://u:p@h/db?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem",
            "sslrootcert names a file",
        ),
        ("not a url", "is not a database URL"),
    ],
)
def test_unusable_urls_are_refused_with_the_reason_and_without_the_password(given, says):
    with pytest.raises(DatabaseUrlError) as caught:
        normalise(given)
    assert says in str(caught.value)
    assert ":p@" not in str(caught.value)


def test_libpq_parameters_go_to_asyncpg_not_to_the_url():
    url, args = engine_arguments(
        "postgresql://u:p@db.example:6432/osame?sslmode=verify-full&sslrootcert=/etc/hosts&application_name=x"
    )
    assert url == "postgresql+asyncpg://u:p@db.example:6432/osame"
    assert args == {"dsn": "postgresql://?application_name=x&sslmode=verify-full&sslrootcert=%2Fetc%2Fhosts"}
    assert engine_arguments("postgresql://u@h/db") == ("postgresql+asyncpg://u@h/db", {})


async def _ssl_in_use(url: str) -> bool:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            query = "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
            return (await connection.execute(text(query))).scalar_one()
    finally:
        await engine.dispose()


@pytest.mark.integration
@pytest.mark.parametrize("form", ["postgresql://", "postgres://", "postgresql+asyncpg://"])
@pytest.mark.parametrize("sslmode", [None, "disable", "prefer", "allow"])
def test_shared_server_accepts_every_form(pg_databases, form, sslmode):
    (url,) = pg_databases(1)
    rest = url.split("://", 1)[1]
    given = form + rest + (f"?sslmode={sslmode}" if sslmode else "")
    assert asyncio.run(_ssl_in_use(given)) is False  # the shared server has no TLS


@pytest.mark.integration
def test_verify_full_with_the_city_ca(cluster):
    url = cluster.url(query=f"sslmode=verify-full&sslrootcert={cluster.ca_file}")
    assert asyncio.run(_ssl_in_use(url)) is True


@pytest.mark.integration
def test_verify_ca_accepts_an_address_the_certificate_does_not_name(cluster):
    # The certificate names localhost and 127.0.0.1; verify-ca checks the CA only.
    url = cluster.url(host="127.0.0.1", query=f"sslmode=verify-ca&sslrootcert={cluster.ca_file}")
    assert asyncio.run(_ssl_in_use(url)) is True


@pytest.mark.integration
@pytest.mark.parametrize(("sslmode", "encrypted"), [("require", True), ("prefer", True), ("disable", False)])
def test_modes_that_do_not_verify(cluster, sslmode, encrypted):
    assert asyncio.run(_ssl_in_use(cluster.url(query=f"sslmode={sslmode}"))) is encrypted


@pytest.mark.integration
def test_client_certificate_authenticates(cluster):
    query = (
        f"sslmode=verify-full&sslrootcert={cluster.ca_file}"
        f"&sslcert={cluster.client_cert}&sslkey={cluster.client_key}"
    )
    url = cluster.url(user=pgcluster.CERT_USER, password="", query=query)
    assert asyncio.run(_ssl_in_use(url)) is True


@pytest.mark.integration
def test_a_server_certificate_of_another_ca_is_refused_clearly(cluster):
    url = cluster.url(query=f"sslmode=verify-full&sslrootcert={cluster.other_ca_file}")
    with pytest.raises(ConfigurationError) as caught:
        asyncio.run(check_database(url))
    assert "TLS certificate did not verify" in str(caught.value)
    assert "OSAME_DATABASE_URL" in str(caught.value)


@pytest.mark.integration
def test_verify_full_refuses_a_host_the_certificate_does_not_name(cluster):
    url = cluster.url(host="127.0.0.1", query=f"sslmode=verify-full&sslrootcert={cluster.ca_file}")
    # 127.0.0.1 is in the certificate's SAN: accepted. A name that is not (the loopback under
    # another name) is refused.
    assert asyncio.run(_ssl_in_use(url)) is True
    other = cluster.url(host="127.0.0.2", query=f"sslmode=verify-full&sslrootcert={cluster.ca_file}")
    with pytest.raises(ConfigurationError) as caught:
        asyncio.run(check_database(other))
    assert "did not verify" in str(caught.value) or "cannot reach" in str(caught.value)


@pytest.mark.integration
def test_wrong_password_is_named_without_echoing_it(cluster):
    url = cluster.url(password="not-the-password")
    with pytest.raises(ConfigurationError) as caught:
        asyncio.run(check_database(url))
    message = str(caught.value)
    assert "refused the password" in message and "OSAME_DATABASE_URL" in message
    assert "not-the-password" not in message
