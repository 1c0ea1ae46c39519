"""A throw-away certificate authority for tests of TLS against local servers (a private
PostgreSQL cluster, a private RabbitMQ node, an https test server). Never used by service code.

Certificates live two days; server certificates name `localhost` and 127.0.0.1.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def _key():
    return ec.generate_private_key(ec.SECP256R1())


def pem_key(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def pem_cert(cert) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def make_ca(name: str):
    key = _key()
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def issue(ca_key, ca_cert, common_name: str, *, server: bool):
    key = _key()
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=2))
    )
    if server:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
    return key, builder.sign(ca_key, hashes.SHA256())


@dataclass(frozen=True)
class TlsFiles:
    """PEM files of one test CA: a server and a client certificate it signed, and another CA."""

    ca: Path
    other_ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path


def write_tls_files(directory: Path, client_name: str = "osame-test-client") -> TlsFiles:
    directory.mkdir(parents=True, exist_ok=True)
    ca_key, ca_cert = make_ca("osame test CA")
    server_key, server_cert = issue(ca_key, ca_cert, "localhost", server=True)
    client_key, client_cert = issue(ca_key, ca_cert, client_name, server=False)
    _, other_ca = make_ca("some other CA")
    files = TlsFiles(
        *(
            directory / n
            for n in ("ca.pem", "other-ca.pem", "server.crt", "server.key", "client.crt", "client.key")
        )
    )
    files.ca.write_bytes(pem_cert(ca_cert))
    files.other_ca.write_bytes(pem_cert(other_ca))
    files.server_cert.write_bytes(pem_cert(server_cert))
    files.server_key.write_bytes(pem_key(server_key))
    files.client_cert.write_bytes(pem_cert(client_cert))
    files.client_key.write_bytes(pem_key(client_key))
    return files
