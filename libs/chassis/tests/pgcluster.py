"""A private PostgreSQL cluster for tests that need what the shared server lacks: TLS with a
self-signed CA and password authentication (the shared one is `trust`, without TLS).

It runs as the `postgres` system user when the tests run as root (initdb refuses root), on a
free loopback port, and is stopped and deleted afterwards. The shared server is never touched.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from osame_chassis.testing_pki import issue, make_ca
from osame_chassis.testing_pki import pem_key as _pem_key
from osame_cli.stack import free_port

PASSWORD = "right-password"
USER = "osame"
CERT_USER = "osame_cert"  # authenticates with a client certificate only


def _bin(name: str) -> str | None:
    for directory in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (directory / name).is_file():
            return str(directory / name)
    return shutil.which(name)


def available() -> str | None:
    """None when a private cluster can be started here, else why not."""
    if _bin("initdb") is None or _bin("pg_ctl") is None:
        return "initdb/pg_ctl are not installed"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root without a postgres system user"
        if shutil.which("runuser") is None:
            return "runuser is not installed"
    return None


@dataclass
class Cluster:
    directory: Path
    port: int
    ca_file: Path
    other_ca_file: Path
    client_cert: Path
    client_key: Path

    def url(
        self, *, password: str = PASSWORD, host: str = "localhost", query: str = "", user: str = USER
    ) -> str:
        credentials = f"{user}:{password}" if password else user
        return f"postgresql://{credentials}@{host}:{self.port}/postgres" + (f"?{query}" if query else "")

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        command = list(args)
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)

    def start(self) -> None:
        pgdata = self.directory / "pgdata"
        pwfile = self.directory / "pwfile"
        pwfile.write_text(PASSWORD + "\n")
        self._chown(self.directory)
        result = self._run(
            _bin("initdb"),
            "-D",
            str(pgdata),
            "-U",
            USER,
            f"--pwfile={pwfile}",
            "-A",
            "scram-sha-256",
            "-E",
            "UTF8",
        )
        assert result.returncode == 0, result.stderr
        ca_key, ca_cert = make_ca("osame test CA")
        server_key, server_cert = issue(ca_key, ca_cert, "localhost", server=True)
        client_key, client_cert = issue(ca_key, ca_cert, CERT_USER, server=False)
        _, other_ca = make_ca("some other CA")
        (pgdata / "server.crt").write_bytes(server_cert.public_bytes(serialization.Encoding.PEM))
        (pgdata / "server.key").write_bytes(_pem_key(server_key))
        (pgdata / "root.crt").write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
        self.ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
        self.other_ca_file.write_bytes(other_ca.public_bytes(serialization.Encoding.PEM))
        self.client_cert.write_bytes(client_cert.public_bytes(serialization.Encoding.PEM))
        self.client_key.write_bytes(_pem_key(client_key))
        self.client_key.chmod(0o600)
        (pgdata / "server.key").chmod(0o600)
        with (pgdata / "postgresql.conf").open("a") as conf:
            conf.write(
                f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{self.directory}'\nmax_connections = 20\n"
                "ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n"
                "ssl_ca_file = 'root.crt'\nfsync = off\nshared_buffers = 16MB\n"
            )
        (pgdata / "pg_hba.conf").write_text(
            "local all all trust\n"
            # A client certificate of this CA, whose CN is the role, is the only way in for CERT_USER.
            f"hostssl all {CERT_USER} 127.0.0.1/32 cert\n"
            "host all all 127.0.0.1/32 scram-sha-256\n"
        )
        self._chown(self.directory)
        result = self._run(
            _bin("pg_ctl"), "-D", str(pgdata), "-l", str(self.directory / "log"), "-w", "start"
        )
        assert result.returncode == 0, result.stderr + (self.directory / "log").read_text(errors="replace")
        psql = _bin("psql")
        result = self._run(
            psql,
            "-h",
            str(self.directory),
            "-p",
            str(self.port),
            "-U",
            USER,
            "-d",
            "postgres",
            "-c",
            f"CREATE ROLE {CERT_USER} LOGIN",
        )
        assert result.returncode == 0, result.stderr

    def stop(self) -> None:
        self._run(_bin("pg_ctl"), "-D", str(self.directory / "pgdata"), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.directory, ignore_errors=True)

    def _chown(self, path: Path) -> None:
        if os.geteuid() != 0:
            return
        entry = pwd.getpwnam("postgres")
        for item in [path, *path.rglob("*")]:
            os.chown(item, entry.pw_uid, entry.pw_gid)
        path.chmod(0o700)


def start_cluster(certs: Path) -> Cluster:
    """Start a cluster in a directory of its own under the system temp dir (the `postgres` user must
    reach it; pytest's per-user temp dirs are private); client files go to `certs`."""
    import tempfile

    directory = Path(tempfile.mkdtemp(prefix="osame-pgtls-"))
    certs.mkdir(parents=True, exist_ok=True)
    cluster = Cluster(
        directory=directory,
        port=free_port(),
        ca_file=certs / "ca.pem",
        other_ca_file=certs / "other-ca.pem",
        client_cert=certs / "client.crt",
        client_key=certs / "client.key",
    )
    try:
        cluster.start()
    except BaseException:
        with contextlib.suppress(Exception):
            cluster.stop()
        raise
    return cluster


def private_cluster(tmp_path_factory):
    """Body of a module-scoped fixture: a private cluster (TLS with its own CA, passwords)."""
    reason = available()
    if reason:
        pytest.skip(f"private PostgreSQL cluster: {reason}")
    cluster = start_cluster(tmp_path_factory.mktemp("pg-client"))
    yield cluster
    cluster.stop()
