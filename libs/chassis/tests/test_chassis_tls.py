"""Transport security settings: which TLS combinations start, which stop start-up with one line
naming the setting; service-to-service HTTPS verified against OSAME_HTTP_CA_FILE with a real
https server (uvicorn) and a CA made for the test; the development token issuer refused outside
development. The broker over TLS is tested against a private node in
tests/e2e/test_e2e_transport_tls.py; PostgreSQL TLS in test_chassis_database_urls.py."""

from __future__ import annotations

import asyncio
import base64
import ssl

import httpx
import pytest
import uvicorn
from osame_chassis.auth import Authenticator, AuthSettings, DevIssuer
from osame_chassis.settings import ConfigurationError, ServiceSettings, check_environment
from osame_chassis.testing_pki import write_tls_files
from osame_chassis.tls import (
    amqp_ssl_context,
    amqp_tls_from_env,
    check_development_identity,
    check_otlp,
    check_transport,
    http_verify,
)
from osame_cli.stack import free_port
from starlette.applications import Starlette
from starlette.responses import JSONResponse, Response
from starlette.routing import Route


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return write_tls_files(tmp_path_factory.mktemp("pki"))


def settings(tmp_path, **values) -> ServiceSettings:
    return ServiceSettings(service_name="x", data_dir=tmp_path, **values)


def test_amqps_builds_a_verifying_context_with_the_ca_and_client_certificate(tmp_path, pki):
    context = amqp_ssl_context(
        settings(
            tmp_path,
            amqp_url="amqps://u:p@broker:5671/",
            amqp_ca_file=pki.ca,
            amqp_cert_file=pki.client_cert,
            amqp_key_file=pki.client_key,
        )
    )
    assert context.verify_mode is ssl.CERT_REQUIRED and context.check_hostname
    assert amqp_ssl_context(settings(tmp_path, amqp_url="amqp://u:p@broker/")) is None


@pytest.mark.parametrize(
    ("url", "files", "expected"),
    [
        ("amqp://u:p@b/", {"amqp_ca_file": "ca"}, "OSAME_AMQP_CA_FILE set but OSAME_AMQP_URL is amqp://"),
        ("amqp://u:p@b/", {"amqp_cert_file": "client_cert"}, "OSAME_AMQP_CERT_FILE set but"),
        (
            "amqps://u:p@b/",
            {"amqp_key_file": "client_key"},
            "OSAME_AMQP_KEY_FILE set without OSAME_AMQP_CERT_FILE",
        ),
        ("amqps://u:p@b/", {"amqp_ca_file": None}, "OSAME_AMQP_CA_FILE names a file that does not exist"),
        ("amqps://u:p@b/", {"amqp_ca_file": "client_key"}, "not a usable PEM file"),
        ("http://u:p@b/", {}, "OSAME_AMQP_URL must start with amqp:// or amqps://"),
    ],
)
def test_tls_settings_that_cannot_work_stop_start_up(tmp_path, pki, url, files, expected):
    values = {k: (getattr(pki, v) if v else tmp_path / "missing.pem") for k, v in files.items()}
    with pytest.raises(ConfigurationError) as refused:
        check_transport(settings(tmp_path, amqp_url=url, **values), environ={})
    assert expected in str(refused.value)
    assert "u:p" not in str(refused.value) and str(tmp_path) not in str(refused.value)


def test_operator_tools_take_the_services_amqp_tls_variables(tmp_path, pki):
    """`osame bus` / `osame dlq` (amqp_tls_from_env): the same variables and refusals as a service."""
    assert amqp_tls_from_env("amqp://u:p@b/", {}) is None
    context = amqp_tls_from_env(
        "amqps://u:p@b/",
        {
            "OSAME_AMQP_CA_FILE": str(pki.ca),
            "OSAME_AMQP_CERT_FILE": str(pki.client_cert),
            "OSAME_AMQP_KEY_FILE": str(pki.client_key),
        },
    )
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    refusals = {
        "OSAME_AMQP_CA_FILE set but OSAME_AMQP_URL is amqp://": ("amqp://u:p@b/", str(pki.ca)),
        "OSAME_AMQP_CA_FILE names a file that does not exist": ("amqps://u:p@b/", str(tmp_path / "no.pem")),
    }
    for message, (url, ca) in refusals.items():
        with pytest.raises(ConfigurationError, match=message):
            amqp_tls_from_env(url, {"OSAME_AMQP_CA_FILE": ca})


def test_the_new_settings_are_known_to_the_typo_check():
    check_environment(
        {
            "OSAME_AMQP_CA_FILE": "x",
            "OSAME_AMQP_CERT_FILE": "x",
            "OSAME_AMQP_KEY_FILE": "x",
            "OSAME_HTTP_CA_FILE": "x",
        }
    )
    with pytest.raises(ConfigurationError, match="did you mean OSAME_AMQP_CA_FILE"):
        check_environment({"OSAME_AMQP_CA_FIEL": "x"})


def test_otlp_certificates(tmp_path, pki):
    check_otlp(
        {
            "OTEL_EXPORTER_OTLP_ENDPOINT": "https://collector:4317",
            "OTEL_EXPORTER_OTLP_CERTIFICATE": str(pki.ca),
        }
    )
    with pytest.raises(
        ConfigurationError, match="OTEL_EXPORTER_OTLP_CERTIFICATE set but the OTLP endpoint is http://"
    ):
        check_otlp(
            {
                "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4317",
                "OTEL_EXPORTER_OTLP_CERTIFICATE": str(pki.ca),
            }
        )
    with pytest.raises(
        ConfigurationError, match="OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY names a file that does not"
    ):
        check_otlp(
            {
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://collector:4318/v1/traces",
                "OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY": str(tmp_path / "missing.key"),
            }
        )


def test_the_development_identity_is_refused_outside_development(tmp_path):
    dev = DevIssuer(tmp_path / "issuer")
    dev.token("someone", roles=("collector",))  # writes its key and JWKS
    production = settings(
        tmp_path,
        environment="production",
        database_url="sqlite:///x.db",
        audit_key=base64.b64encode(bytes(range(32))).decode(),  # production needs its own audit key
    )
    city_idp = {
        "issuer": "https://idp.city.example/realms/osame",
        "jwks_url": "https://idp.city.example/certs",
    }
    check_development_identity(production, AuthSettings(**city_idp))
    refused = {
        "OSAME_AUTH_ISSUER is the development issuer": AuthSettings(jwks_url="https://idp/certs"),
        "OSAME_AUTH_JWKS_FILE is the development issuer's": AuthSettings(
            issuer=city_idp["issuer"], jwks_file=dev.jwks_path
        ),
        "OSAME_AUTH_ENABLED=false is for development only": AuthSettings(enabled=False, **city_idp),
    }
    for message, auth in refused.items():
        with pytest.raises(ConfigurationError, match=message):
            check_development_identity(production, auth)
        check_development_identity(settings(tmp_path), auth)  # development: allowed


async def _serve_https(app, pki):
    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        ssl_certfile=str(pki.server_cert),
        ssl_keyfile=str(pki.server_key),
        log_level="warning",
        lifespan="off",
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    return server, task, f"https://localhost:{port}"


async def test_service_to_service_https_verifies_against_the_http_ca(pki, tmp_path):
    dev = DevIssuer(tmp_path / "issuer")
    token = dev.token("someone", roles=("collector",))
    jwks = dev.jwks_path.read_text()
    app = Starlette(
        routes=[
            Route("/ping", lambda request: Response("pong")),
            Route("/certs", lambda request: JSONResponse(__import__("json").loads(jwks))),
        ]
    )
    server, task, base = await _serve_https(app, pki)
    try:
        async with httpx.AsyncClient(verify=http_verify(pki.ca)) as client:
            assert (await client.get(f"{base}/ping")).text == "pong"
        async with httpx.AsyncClient(verify=http_verify(pki.other_ca)) as client:
            with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
                await client.get(f"{base}/ping")
        async with httpx.AsyncClient(verify=http_verify(None)) as client:  # system CAs only
            with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
                await client.get(f"{base}/ping")
        # The token issuer's keys over https, verified against the same CA setting.
        auth = Authenticator(AuthSettings(jwks_url=f"{base}/certs", OSAME_HTTP_CA_FILE=pki.ca))
        assert (await auth.authenticate(f"Bearer {token}")).user == "someone"
    finally:
        server.should_exit = True
        await task


def test_a_missing_http_ca_file_is_a_clear_error(tmp_path):
    with pytest.raises(ConfigurationError, match="OSAME_HTTP_CA_FILE names a file that does not exist"):
        http_verify(tmp_path / "missing.pem")


async def test_otlp_over_https_verifies_the_collector_against_its_ca(pki, monkeypatch):
    """The OTLP exporter the chassis builds sends to an https collector whose CA is given by the
    standard OTEL_EXPORTER_OTLP_CERTIFICATE, whatever REQUESTS_CA_BUNDLE says; with another CA
    nothing arrives."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExportResult
    from osame_chassis.telemetry import _otlp_exporter

    received: list[bytes] = []

    async def collect(request):
        received.append(await request.body())
        return Response(b"", media_type="application/x-protobuf")

    server, task, base = await _serve_https(
        Starlette(routes=[Route("/v1/traces", collect, methods=["POST"])]), pki
    )
    try:
        provider = TracerProvider()
        with provider.get_tracer("tls-test").start_as_current_span("probe") as span:
            pass
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", base)
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "2")
        # Many images set requests' own bundle variable, which requests lets win over the
        # exporter's CA (psf/requests#3829): the chassis' session must keep the OTLP one.
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(pki.other_ca))
        for ca, expected in ((pki.other_ca, SpanExportResult.FAILURE), (pki.ca, SpanExportResult.SUCCESS)):
            monkeypatch.setenv("OTEL_EXPORTER_OTLP_CERTIFICATE", str(ca))
            check_otlp()
            exporter = _otlp_exporter()
            result = await asyncio.to_thread(exporter.export, [span])
            exporter.shutdown()
            assert result is expected
        assert len(received) == 1 and b"probe" in received[0]
    finally:
        server.should_exit = True
        await task


def test_otlp_grpc_over_tls_verifies_the_collector_against_its_ca(pki, monkeypatch):
    """The default OTLP protocol (gRPC) with an https:// endpoint and the collector's CA."""
    from concurrent import futures

    import grpc
    from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExportResult
    from osame_chassis.telemetry import _otlp_exporter

    received: list = []

    class Collector(trace_service_pb2_grpc.TraceServiceServicer):
        def Export(self, request, context):
            received.append(request)
            return trace_service_pb2.ExportTraceServiceResponse()

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2))
    trace_service_pb2_grpc.add_TraceServiceServicer_to_server(Collector(), server)
    credentials = grpc.ssl_server_credentials([(pki.server_key.read_bytes(), pki.server_cert.read_bytes())])
    port = server.add_secure_port("127.0.0.1:0", credentials)
    server.start()
    try:
        provider = TracerProvider()
        with provider.get_tracer("tls-test").start_as_current_span("probe") as span:
            pass
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"https://localhost:{port}")
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "2")
        for ca, expected in ((pki.other_ca, SpanExportResult.FAILURE), (pki.ca, SpanExportResult.SUCCESS)):
            monkeypatch.setenv("OTEL_EXPORTER_OTLP_CERTIFICATE", str(ca))
            check_otlp()
            exporter = _otlp_exporter()
            result = exporter.export([span])
            exporter.shutdown()
            assert result is expected
        assert len(received) == 1
        assert received[0].resource_spans[0].scope_spans[0].spans[0].name == "probe"
    finally:
        server.stop(grace=None)
