"""A PostgreSQL cluster of the test's own, for fault tests that restart the database server.

The machine's PostgreSQL serves every other test, the demo and other developers: restarting it
would fail all of them. A test that restarts "the database" gets a cluster of its own instead —
`initdb` into a temporary directory owned by the `postgres` user, started with `pg_ctl` on a free
port (TCP on 127.0.0.1 only, its socket in that directory, `trust` for local connections), deleted
afterwards. Needs the PostgreSQL server binaries (`pg_config --bindir`, or /usr/lib/postgresql/*/bin)
and root, to run them as `postgres`.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

from osame_cli.stack import free_port


def _bindir() -> Path | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    config = shutil.which("pg_config")
    if config:
        found = subprocess.run(
            [config, "--bindir"], capture_output=True, text=True, check=False
        ).stdout.strip()
        candidates.insert(0, found)
    for directory in candidates:
        if directory and (Path(directory) / "initdb").exists() and (Path(directory) / "pg_ctl").exists():
            return Path(directory)
    return None


def available() -> bool:
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return False
    return _bindir() is not None and os.geteuid() == 0 and shutil.which("runuser") is not None


class PrivatePostgres:
    def __init__(self) -> None:
        self.bindir = _bindir()
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="osame-pg-"))
        self.data = self.dir / "data"

    @property
    def server_url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        result = subprocess.run(
            ["runuser", "-u", "postgres", "--", str(self.bindir / args[0]), *args[1:]],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"{args[0]} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}\n{self.log_tail()}"
            )
        return result

    def log_tail(self, lines: int = 40) -> str:
        log = self.dir / "server.log"
        if not log.exists():
            return "(no server log)"
        return "-- last lines of the server log:\n" + "\n".join(
            log.read_text(errors="replace").splitlines()[-lines:]
        )

    def _pg_ctl(self, action: str, *extra: str, timeout: float = 120) -> None:
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir} -c fsync=off"
        self._run(
            "pg_ctl", action, "-D", str(self.data), "-l", str(self.dir / "server.log"), "-w",
            "-t", str(int(timeout)), "-o", options, *extra, timeout=timeout + 10,
        )  # fmt: skip

    def start(self) -> None:
        self.dir.chmod(0o755)
        shutil.chown(self.dir, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync")
        self._pg_ctl("start")

    def pid(self) -> int:
        """The postmaster's process id (a restart changes it)."""
        return int((self.data / "postmaster.pid").read_text().split()[0])

    def restart(self) -> None:
        """Stop (fast: every connection is cut, open transactions roll back) and start again."""
        self._pg_ctl("restart", "-m", "fast")

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run("pg_ctl", "stop", "-D", str(self.data), "-m", "immediate", "-w")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
