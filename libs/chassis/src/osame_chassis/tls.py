"""Transport security: the TLS contexts for the broker and for service-to-service HTTP, and the
start-up checks of every TLS setting (and of the development identity outside development).

- AMQP: `OSAME_AMQP_URL=amqps://…` turns TLS on (the server is verified against the system CAs
  or `OSAME_AMQP_CA_FILE`, host name included); `OSAME_AMQP_CERT_FILE`/`OSAME_AMQP_KEY_FILE` add a
  client certificate. A CA or certificate with an `amqp://` URL is refused (it would be ignored).
  Operator tools (`osame bus`, `osame dlq`) read the same variables (`amqp_tls_from_env`); the
  console's dead-letter connection has its own (`OSAME_CONSOLE_DEAD_LETTER_AMQP_CA_FILE`, …).
- PostgreSQL: libpq parameters in `OSAME_DATABASE_URL` (`sslmode=verify-full&sslrootcert=…`), see
  `dburl`.
- OTLP: the standard `OTEL_EXPORTER_OTLP_*` variables, read by the exporters themselves
  (`https://` endpoint, `OTEL_EXPORTER_OTLP_CERTIFICATE` for the collector's CA, `…_CLIENT_KEY`
  and `…_CLIENT_CERTIFICATE`); `check_otlp` refuses missing files and certificates given for a
  plain `http://` endpoint.
- HTTP between services: `OSAME_HTTP_CA_FILE`, the CA bundle `https://` calls verify against
  (default: the system CAs), via `http_verify` (`http_verify_from_env` in operator tools). Every
  httpx client is built with it (a test scans the sources).

Messages name the setting, never its value.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlsplit

from osame_chassis.settings import ConfigurationError, ServiceSettings

AMQP_SCHEMES = ("amqp", "amqps")
OTLP_FILE_VARIABLES = ("CERTIFICATE", "CLIENT_KEY", "CLIENT_CERTIFICATE")
DEVELOPMENT_ISSUER = "osame-dev-issuer"
DEVELOPMENT_ISSUER_KEY = "dev-issuer-key.pem"  # what `auth.DevIssuer` writes beside its jwks.json


def _readable(name: str, path: Path) -> None:
    if not path.expanduser().is_file() or not os.access(path.expanduser(), os.R_OK):
        raise ConfigurationError(f"{name} names a file that does not exist or cannot be read")


AMQP_TLS_VARIABLES = ("OSAME_AMQP_CA_FILE", "OSAME_AMQP_CERT_FILE", "OSAME_AMQP_KEY_FILE")


def _check_amqp_tls(url: str, ca_file: Path | None, cert_file: Path | None, key_file: Path | None) -> None:
    scheme = urlsplit(url).scheme
    if scheme not in AMQP_SCHEMES:
        raise ConfigurationError("OSAME_AMQP_URL must start with amqp:// or amqps:// (TLS)")
    files = dict(zip(AMQP_TLS_VARIABLES, (ca_file, cert_file, key_file), strict=True))
    given = [name for name, path in files.items() if path is not None]
    if given and scheme != "amqps":
        raise ConfigurationError(
            f"{', '.join(given)} set but OSAME_AMQP_URL is amqp:// (no TLS): use amqps:// or remove them"
        )
    if key_file is not None and cert_file is None:
        raise ConfigurationError(
            "OSAME_AMQP_KEY_FILE set without OSAME_AMQP_CERT_FILE (the client certificate)"
        )
    for name in given:
        _readable(name, files[name])


def amqp_tls(
    url: str, ca_file: Path | None = None, cert_file: Path | None = None, key_file: Path | None = None
) -> ssl.SSLContext | None:
    """The context for an `amqps://` URL (None for `amqp://`): server certificate and host name
    verified, against `ca_file` when given; the client certificate when given. The files are
    checked first (`ConfigurationError` naming the setting)."""
    _check_amqp_tls(url, ca_file, cert_file, key_file)
    if urlsplit(url).scheme != "amqps":
        return None
    try:
        context = ssl.create_default_context(cafile=str(ca_file.expanduser()) if ca_file else None)
        if cert_file is not None:
            context.load_cert_chain(cert_file.expanduser(), key_file.expanduser() if key_file else None)
    except (ssl.SSLError, ValueError) as exc:
        raise ConfigurationError(
            "OSAME_AMQP_CA_FILE, OSAME_AMQP_CERT_FILE or OSAME_AMQP_KEY_FILE is not a usable PEM file "
            f"({type(exc).__name__})"
        ) from None
    return context


def amqp_tls_from_env(url: str, environ: Mapping[str, str] | None = None) -> ssl.SSLContext | None:
    """`amqp_tls` for operator tools (`osame bus`, `osame dlq`): the same OSAME_AMQP_CA_FILE,
    OSAME_AMQP_CERT_FILE and OSAME_AMQP_KEY_FILE variables as the services."""
    environ = os.environ if environ is None else environ
    files = [Path(environ[name]) if environ.get(name) else None for name in AMQP_TLS_VARIABLES]
    return amqp_tls(url, *files)


def check_amqp(settings: ServiceSettings) -> None:
    """The broker URL's scheme and the AMQP TLS files agree, and the files are there."""
    _check_amqp_tls(settings.amqp_url, settings.amqp_ca_file, settings.amqp_cert_file, settings.amqp_key_file)


def amqp_ssl_context(settings: ServiceSettings) -> ssl.SSLContext | None:
    """`amqp_tls` with a service's settings (OSAME_AMQP_URL, OSAME_AMQP_CA_FILE, …)."""
    return amqp_tls(settings.amqp_url, settings.amqp_ca_file, settings.amqp_cert_file, settings.amqp_key_file)


def http_verify(ca_file: Path | None) -> ssl.SSLContext | bool:
    """What httpx's `verify=` gets for calls to other services: the system CAs, or `ca_file`'s."""
    if ca_file is None:
        return True
    _readable("OSAME_HTTP_CA_FILE", ca_file)
    try:
        return ssl.create_default_context(cafile=str(ca_file.expanduser()))
    except (ssl.SSLError, ValueError) as exc:
        raise ConfigurationError(
            f"OSAME_HTTP_CA_FILE is not a usable PEM file ({type(exc).__name__})"
        ) from None


def http_verify_from_env(environ: Mapping[str, str] | None = None) -> ssl.SSLContext | bool:
    """`http_verify` for operator tools: the CA bundle of OSAME_HTTP_CA_FILE, else the system CAs."""
    environ = os.environ if environ is None else environ
    return http_verify(Path(environ["OSAME_HTTP_CA_FILE"]) if environ.get("OSAME_HTTP_CA_FILE") else None)


def check_otlp(environ: Mapping[str, str] | None = None) -> None:
    """The OTLP exporters' TLS files exist, and are not given for a plain `http://` endpoint."""
    environ = os.environ if environ is None else environ
    for signal in ("", "TRACES_", "LOGS_", "METRICS_"):
        endpoint = environ.get(f"OTEL_EXPORTER_OTLP_{signal}ENDPOINT") or environ.get(
            "OTEL_EXPORTER_OTLP_ENDPOINT", ""
        )
        for item in OTLP_FILE_VARIABLES:
            name = f"OTEL_EXPORTER_OTLP_{signal}{item}"
            if not environ.get(name):
                continue
            _readable(name, Path(environ[name]))
            if endpoint.startswith("http://"):
                raise ConfigurationError(
                    f"{name} set but the OTLP endpoint is http:// (no TLS): use an https:// endpoint"
                )


def check_development_identity(settings, auth_settings=None) -> None:
    """Outside development, refuse the development token issuer and switched-off authentication.
    `settings`: anything with an `environment` (a service's or the console's settings)."""
    if settings.environment == "development":
        return
    from osame_chassis.auth import AuthSettings

    auth = auth_settings if auth_settings is not None else AuthSettings()
    if not auth.enabled:
        raise ConfigurationError("OSAME_AUTH_ENABLED=false is for development only (OSAME_ENVIRONMENT)")
    if auth.issuer == DEVELOPMENT_ISSUER:
        raise ConfigurationError(
            f"OSAME_AUTH_ISSUER is the development issuer ({DEVELOPMENT_ISSUER}), refused outside "
            "development: set the issuer of the city's identity provider"
        )
    if auth.jwks_file is not None and (auth.jwks_file.expanduser().parent / DEVELOPMENT_ISSUER_KEY).exists():
        raise ConfigurationError(
            "OSAME_AUTH_JWKS_FILE is the development issuer's key set (its private key lies beside it), "
            "refused outside development"
        )


def check_transport(settings: ServiceSettings, environ: Mapping[str, str] | None = None) -> None:
    """Every TLS setting of a service and the development identity, before it connects anywhere."""
    check_amqp(settings)
    amqp_ssl_context(settings)
    http_verify(settings.http_ca_file)
    check_otlp(environ)
    check_development_identity(settings)
