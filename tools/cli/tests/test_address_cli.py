"""``osame address`` key maintenance against a real (SQLite) address-sync database."""

from __future__ import annotations

import asyncio
import base64
import functools

import pytest
from osame_address_sync.bootstrap import AddressSyncSettings
from osame_address_sync.service_layer import handlers
from osame_chassis.db import create_engine, session_factory
from osame_chassis.messaging.topology import Names
from osame_chassis.migrations import upgrade
from osame_chassis.uow import UnitOfWork
from osame_cli.address_cli import address_app
from osame_contracts.messages.address_sync import RegisterNonResident, StructuredAddress
from typer.testing import CliRunner

K1 = base64.b64encode(bytes(range(32))).decode()
K2 = base64.b64encode(bytes(range(50, 82))).decode()
NUMBER = "123456789018"
runner = CliRunner()


@pytest.fixture
def database(tmp_path, monkeypatch):
    """address-sync's store with three sealed numbers; an operator's staff token in the environment."""
    from osame_chassis.auth import DevIssuer

    issuer = DevIssuer(tmp_path / "issuer")
    monkeypatch.setenv("OSAME_AUTH_JWKS_FILE", str(issuer.write_jwks()))
    monkeypatch.setenv("OSAME_OPERATOR_TOKEN", issuer.token("ops-01", ["admin"]))
    url = f"sqlite+aiosqlite:///{tmp_path}/address-sync.db"
    for name in ("OSAME_MYNUMBER_KEY", "OSAME_MYNUMBER_KEYS", "OSAME_MYNUMBER_KEY_ID", "OSAME_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)

    async def seed():
        from pathlib import Path

        import osame_address_sync

        engine = create_engine(url)
        await upgrade(engine, Path(osame_address_sync.__file__).parent / "migrations")
        from osame_chassis.sealed_number import DEMO_TRANSPORT_KEYS, TransportKeyring, seal

        deps = AddressSyncSettings(
            database_url=url, mynumber_key=K1, mynumber_transport_keys=DEMO_TRANSPORT_KEYS
        ).deps()
        to = TransportKeyring.parse(DEMO_TRANSPORT_KEYS).public_key("demo")
        for i in range(3):
            async with UnitOfWork(session_factory(engine), Names("")) as uow:
                command = RegisterNonResident(
                    addressee_id=f"30000{i}",
                    version=1,
                    name="住登外 太郎",
                    address=StructuredAddress(printed="東京都千代田区試験2-2"),
                    my_number=seal(
                        NUMBER, to, routing_key=RegisterNonResident.routing_key, addressee_id=f"30000{i}"
                    ),
                )
                await functools.partial(handlers.register_non_resident, deps=deps)(command, uow)
                await uow.commit()
        await engine.dispose()

    asyncio.run(seed())
    return url


def test_generate_key_prints_32_random_bytes():
    a, b = (runner.invoke(address_app, ["generate-key"]).stdout.strip() for _ in range(2))
    assert len(base64.b64decode(a)) == 32 and a != b


def test_rotate_key_with_progress_then_usage(database, monkeypatch):
    monkeypatch.setenv("OSAME_MYNUMBER_KEY_ID", "k1")
    monkeypatch.setenv("OSAME_MYNUMBER_KEY", K1)
    usage = runner.invoke(address_app, ["key-usage", "--database-url", database])
    assert usage.exit_code == 0 and usage.stdout.split() == ["k1", "3"]

    monkeypatch.setenv("OSAME_MYNUMBER_KEY", K2)
    monkeypatch.setenv("OSAME_MYNUMBER_KEY_ID", "k2")
    monkeypatch.setenv("OSAME_MYNUMBER_KEYS", f"k1:{K1}")
    result = runner.invoke(address_app, ["rotate-key", "--database-url", database, "--batch-size", "2"])
    assert result.exit_code == 0, result.stderr
    assert "active key k2: re-encrypted 3" in result.stdout
    assert "re-encrypting" in result.stderr  # the progress bar
    assert NUMBER not in result.stdout + result.stderr
    usage = runner.invoke(address_app, ["key-usage", "--database-url", database])
    assert usage.stdout.split() == ["k2", "3"]


def test_rotate_key_without_keys_is_a_clear_error(database):
    result = runner.invoke(address_app, ["rotate-key", "--database-url", database])
    assert result.exit_code == 2
    assert "no key configured" in result.stderr


def test_key_maintenance_without_a_valid_operator_token_is_refused(database, monkeypatch):
    monkeypatch.setenv("OSAME_MYNUMBER_KEY", K1)
    monkeypatch.delenv("OSAME_OPERATOR_TOKEN")
    result = runner.invoke(address_app, ["key-usage", "--database-url", database])
    assert result.exit_code == 2 and "missing_token" in result.stdout + result.stderr
    result = runner.invoke(address_app, ["key-usage", "--database-url", database, "--token", "not-a-jwt"])
    assert result.exit_code == 2 and "invalid_token" in result.stdout + result.stderr
