"""HTTP clients outside the chassis verify https:// against the configured CA (issue 13): the
gateway's calls to the 情報提供ネットワーク and to address-sync (its OSAME_HTTP_CA_FILE), the operator
CLIs `osame collection` / `osame refunds` (OSAME_HTTP_CA_FILE) and `osame bus`'s management API
(OSAME_AMQP_CA_FILE). A real https server (uvicorn) with a CA made for the test; another CA fails."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import httpx
import pytest
import uvicorn
from osame_chassis.messaging import provision
from osame_chassis.testing_pki import write_tls_files
from osame_cli import collection_cli, refunds_cli
from osame_cli.stack import free_port
from osame_gateway.adapters.resilience import TransientRemoteError
from osame_gateway.bootstrap import GatewaySettings, build_processor
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return write_tls_files(tmp_path_factory.mktemp("pki"))


@pytest.fixture
async def https_base(pki):
    app = Starlette(routes=[Route(p, lambda r: JSONResponse({"ok": True})) for p in ("/ping", "/api/ping")])
    port = free_port()
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, ssl_certfile=str(pki.server_cert), ssl_keyfile=str(pki.server_key),
        log_level="warning", lifespan="off",
    )  # fmt: skip
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    yield f"https://localhost:{port}"
    server.should_exit = True
    await task


def _gateway(tmp_path, base: str, ca):
    settings = GatewaySettings(
        data_dir=tmp_path, network_url=base, address_sync_url=base, http_ca_file=ca, network_retry_attempts=1
    )
    return build_processor(SimpleNamespace(unit_of_work=None), settings)


async def test_the_gateway_verifies_the_network_and_address_sync_against_its_ca(https_base, pki, tmp_path):
    processor = _gateway(tmp_path, https_base, pki.ca)
    refused = _gateway(tmp_path, https_base, pki.other_ca)
    callers = [p.network.caller for p in (processor, refused)] + [
        p.numbers.caller for p in (processor, refused)
    ]
    try:
        for caller in (processor.network.caller, processor.numbers.caller):
            assert await caller.get_json("/ping") == (200, {"ok": True})
        for caller in (refused.network.caller, refused.numbers.caller):
            with pytest.raises(TransientRemoteError, match="unreachable"):
                await caller.get_json("/ping")
    finally:
        for caller in callers:
            await caller.aclose()


async def test_the_operator_clis_verify_against_osame_http_ca_file(https_base, pki, monkeypatch):
    def call(client_factory) -> int:
        with client_factory(https_base, "token") as client:
            return client.get("/ping").status_code

    for ca, verified in ((pki.ca, True), (pki.other_ca, False)):
        monkeypatch.setenv("OSAME_HTTP_CA_FILE", str(ca))
        for factory in (collection_cli._client, refunds_cli._client):
            if verified:
                assert await asyncio.to_thread(call, factory) == 200
            else:
                with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
                    await asyncio.to_thread(call, factory)


async def test_the_broker_management_api_is_verified_against_the_broker_ca(https_base, pki, monkeypatch):
    def ping() -> int:
        with provision._client("amqps://admin:pw@localhost/", https_base) as client:
            return client.get("/ping").status_code

    monkeypatch.setenv("OSAME_AMQP_CA_FILE", str(pki.ca))
    assert await asyncio.to_thread(ping) == 200
    monkeypatch.setenv("OSAME_AMQP_CA_FILE", str(pki.other_ca))
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        await asyncio.to_thread(ping)
