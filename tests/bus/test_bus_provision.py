"""`osame bus provision` (what compose's broker-setup and the Kubernetes Job run): idempotent,
passwords from the environment or a secrets directory, a principal without one left alone."""

from __future__ import annotations

import asyncio
import uuid

import aio_pika
import httpx
import pytest
from osame_chassis.messaging.provision import management_url, url_as
from osame_cli.bus import delete_namespace
from osame_cli.bus_cli import bus_app, password_variable
from typer.testing import CliRunner

pytestmark = pytest.mark.integration


async def _can_connect(url: str) -> bool:
    try:
        connection = await aio_pika.connect(url, timeout=10)
    except aio_pika.exceptions.AMQPConnectionError:
        return False
    await connection.close()
    return True


def _users(admin_url: str, prefix: str) -> set[str]:
    response = httpx.get(management_url(admin_url) + "/api/users", timeout=10)
    response.raise_for_status()
    return {u["name"] for u in response.json() if u["name"].startswith(prefix)}


def test_provision_from_the_environment_and_a_secrets_directory_is_idempotent(amqp_url, tmp_path):
    prefix = f"prov-{uuid.uuid4().hex[:8]}."
    secrets = tmp_path / "osame-broker-users"
    secrets.mkdir()
    (secrets / "atena").write_text("atena-secret\n")
    env = {
        "OSAME_BROKER_ADMIN_URL": amqp_url,
        "OSAME_AMQP_PREFIX": prefix,
        password_variable("receipts"): "receipts-secret",
        password_variable("intermediate-server-gw"): "gateway-secret",
    }
    try:
        for _ in range(2):  # a second run changes nothing and fails on nothing
            result = CliRunner().invoke(
                bus_app, ["provision", "--passwords-dir", str(secrets)], env=env, catch_exceptions=False
            )
            assert result.exit_code == 0, result.output
        assert _users(amqp_url, prefix) == {
            f"{prefix}osame-receipts",
            f"{prefix}osame-intermediate-server-gw",
            f"{prefix}osame-atena",
        }
        assert "skipped (no password)" in result.output
        assert asyncio.run(_can_connect(url_as(amqp_url, f"{prefix}osame-receipts", "receipts-secret")))
        assert asyncio.run(_can_connect(url_as(amqp_url, f"{prefix}osame-atena", "atena-secret")))
        assert not asyncio.run(_can_connect(url_as(amqp_url, f"{prefix}osame-receipts", "wrong")))
    finally:
        asyncio.run(delete_namespace(amqp_url, prefix))
    assert _users(amqp_url, prefix) == set()


def test_provision_refuses_to_run_without_passwords_or_an_administrator(amqp_url):
    no_passwords = CliRunner().invoke(bus_app, ["provision"], env={"OSAME_BROKER_ADMIN_URL": amqp_url})
    assert no_passwords.exit_code == 2 and "no passwords given" in no_passwords.output
    no_admin = CliRunner().invoke(
        bus_app, ["provision", "--admin-url", ""], env={password_variable("receipts"): "x"}
    )
    assert no_admin.exit_code == 2 and "--admin-url" in no_admin.output
