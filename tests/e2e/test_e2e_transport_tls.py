"""Transport security on the broker: a private RabbitMQ node with a TLS listener and a CA made for
the test. The chassis connects over `amqps://` with the server certificate verified (and with a
client certificate); a CA that did not sign the server's certificate stops start-up with one clear
line. The shared broker is never reconfigured (private_broker.py)."""

from __future__ import annotations

import asyncio
import socket

import pytest
from osame_chassis.runtime import make_broker
from osame_chassis.settings import ConfigurationError, ServiceSettings
from osame_chassis.startup import preflight
from osame_chassis.testing_pki import write_tls_files
from prometheus_client import CollectorRegistry

from . import private_broker as private_broker_module

pytestmark = [pytest.mark.integration, pytest.mark.e2e]


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory):
    return write_tls_files(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def tls_broker(tls_files):
    if not private_broker_module.available():
        pytest.skip("a private broker needs a local rabbitmq-server and rabbitmqctl run as root")
    broker = private_broker_module.PrivateBroker(tls=tls_files)
    try:
        broker.start()
        yield broker
    finally:
        broker.stop()


def _settings(tmp_path, url, **files) -> ServiceSettings:
    return ServiceSettings(service_name="tlsprobe", amqp_url=url, data_dir=tmp_path, **files)


async def test_the_chassis_talks_to_the_broker_over_verified_tls(tls_broker, tls_files, tmp_path):
    settings = _settings(tmp_path, tls_broker.amqps_url, amqp_ca_file=tls_files.ca)
    await preflight(settings)  # database (SQLite) and broker, as a service starts
    broker = make_broker(settings, None, CollectorRegistry(), role="publisher")
    await broker.connect()
    try:
        queue = f"tls-probe-{id(broker)}"
        channel = await broker._connection.channel()
        declared = await channel.declare_queue(queue, auto_delete=True)
        await broker.publish(b"over tls", queue=queue)
        message = None
        while message is None:  # the broker confirmed the publish; the get may need a moment
            message = await declared.get(fail=False)
            if message is None:
                await asyncio.sleep(0.05)
        assert message.body == b"over tls"
        await message.ack()
        await channel.close()
    finally:
        await broker.stop()


async def test_a_client_certificate_is_presented(tls_broker, tls_files, tmp_path):
    settings = _settings(
        tmp_path,
        tls_broker.amqps_url,
        amqp_ca_file=tls_files.ca,
        amqp_cert_file=tls_files.client_cert,
        amqp_key_file=tls_files.client_key,
    )
    await preflight(settings)
    broker = make_broker(settings, None, CollectorRegistry(), role="publisher")
    await broker.connect()
    try:
        listing = tls_broker.ctl("list_connections", "ssl", "peer_cert_subject", "--no-table-headers").stdout
    finally:
        await broker.stop()
    assert "CN=osame-test-client" in listing  # the broker saw the client certificate of our CA


async def test_a_broker_certificate_from_another_ca_stops_start_up(tls_broker, tls_files, tmp_path):
    settings = _settings(tmp_path, tls_broker.amqps_url, amqp_ca_file=tls_files.other_ca)
    with pytest.raises(ConfigurationError) as refused:
        await preflight(settings)
    message = str(refused.value)
    assert "TLS certificate did not verify" in message and "OSAME_AMQP_CA_FILE" in message
    assert "guest" not in message  # no credentials in the line


async def test_a_host_name_the_certificate_does_not_name_is_refused(tls_broker, tls_files, tmp_path):
    # The machine's own name reaches the same loopback listener, but the certificate does not name it.
    name = socket.gethostname()
    try:
        if socket.gethostbyname(name) != "127.0.0.1" or name == "localhost":
            pytest.skip("this machine's host name does not resolve to 127.0.0.1")
    except OSError:
        pytest.skip("this machine's host name does not resolve")
    url = tls_broker.amqps_url.replace("localhost", name)
    with pytest.raises(ConfigurationError, match="did not verify"):
        await preflight(_settings(tmp_path, url, amqp_ca_file=tls_files.ca))


async def test_plain_amqp_to_the_tls_port_is_not_tls(tls_broker, tls_files, tmp_path):
    url = tls_broker.amqps_url.replace("amqps://", "amqp://")
    with pytest.raises(ConfigurationError, match="OSAME_AMQP_CA_FILE set but OSAME_AMQP_URL is amqp://"):
        await preflight(_settings(tmp_path, url, amqp_ca_file=tls_files.ca))


async def test_the_operator_tools_and_the_console_read_dead_letters_over_verified_tls(
    tls_broker, tls_files, tmp_path, monkeypatch
):
    """`osame dlq` / `osame bus` (osame_cli.bus.connect) and the console's 管理 dead-letter panel take
    the services' OSAME_AMQP_CA_FILE: verified amqps://, and refused against another CA."""
    import ssl

    import aio_pika
    from osame_chassis.settings import ConfigurationError as Refused
    from osame_cli import dlq as dlq_ops
    from osame_cli.bus import connect
    from osame_console.adapters.dead_letters import dead_letter_depths
    from osame_console.settings import ConsoleSettings

    NOT_VERIFIED = (ssl.SSLError, aio_pika.exceptions.AMQPConnectionError, ConnectionError)
    monkeypatch.setenv("OSAME_AMQP_CA_FILE", str(tls_files.ca))
    async with connect(tls_broker.amqps_url, "tlsprobe.") as bus:
        rows = await dlq_ops.list_depths(bus)
    assert rows and all(depth is None for _, depth in rows)  # reached the broker: no DLQ in that namespace
    console = ConsoleSettings(dead_letter_amqp_url=tls_broker.amqps_url, amqp_prefix="tlsprobe.")
    depths = await dead_letter_depths(
        tls_broker.amqps_url, "tlsprobe.", ssl_context=console.dead_letter_tls()
    )
    assert len(depths) == len(rows)

    monkeypatch.setenv("OSAME_AMQP_CA_FILE", str(tls_files.other_ca))
    with pytest.raises(NOT_VERIFIED) as refused:  # the broker's certificate is not of that CA
        async with connect(tls_broker.amqps_url, "tlsprobe."):
            pass
    assert "CERTIFICATE_VERIFY_FAILED" in repr(refused.value)
    other = ConsoleSettings(dead_letter_amqp_url=tls_broker.amqps_url).dead_letter_tls()
    with pytest.raises(NOT_VERIFIED) as refused:
        await dead_letter_depths(tls_broker.amqps_url, "tlsprobe.", timeout=5, ssl_context=other)
    assert "CERTIFICATE_VERIFY_FAILED" in repr(refused.value)
    monkeypatch.setenv("OSAME_AMQP_CA_FILE", str(tmp_path / "missing.pem"))
    with pytest.raises(Refused, match="OSAME_AMQP_CA_FILE names a file that does not exist"):
        ConsoleSettings(dead_letter_amqp_url=tls_broker.amqps_url).dead_letter_tls()
