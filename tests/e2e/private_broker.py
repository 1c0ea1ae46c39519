"""A RabbitMQ node of the test's own, for fault tests that stop and start the broker.

Restarting the shared broker (the one every other test, the demo and other developers on the
machine use) takes them all down with it, and when it does not come back every later test fails.
A fault test that restarts "the broker" therefore gets a node of its own: the machine's RabbitMQ
installation started a second time under another node name, on free ports, with its data, logs,
config and plugin list in a temporary directory that is deleted afterwards. Needs a local
`rabbitmq-server` and `rabbitmqctl` run as root (they switch to the `rabbitmq` user).

`PrivateBroker(tls=files)` (a `testing_pki.TlsFiles`) also opens a TLS listener (`amqps_url`) with
the CA's server certificate; it accepts a client certificate of that CA but does not require one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from osame_chassis.testing_pki import TlsFiles
from osame_cli.stack import free_port


def available() -> bool:
    return all(shutil.which(tool) for tool in ("rabbitmq-server", "rabbitmqctl")) and os.geteuid() == 0


class PrivateBroker:
    def __init__(self, tls: TlsFiles | None = None) -> None:
        self.node = f"osame-fault-{uuid.uuid4().hex[:8]}@localhost"
        self.port = free_port()
        self.tls = tls
        self.tls_port = free_port() if tls else None
        self.management_port = free_port()
        self.dist_port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="osame-broker-"))

    @property
    def amqp_url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    @property
    def amqps_url(self) -> str:
        """The TLS listener, by the host name its certificate names."""
        return f"amqps://guest:guest@localhost:{self.tls_port}/"

    @property
    def management_url(self) -> str:
        return f"http://guest:guest@127.0.0.1:{self.management_port}"

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("RABBITMQ_")}
        env.update(
            RABBITMQ_NODENAME=self.node,
            RABBITMQ_DIST_PORT=str(self.dist_port),
            RABBITMQ_MNESIA_BASE=str(self.dir / "mnesia"),
            RABBITMQ_LOG_BASE=str(self.dir / "log"),
            RABBITMQ_CONFIG_FILE=str(self.dir / "rabbitmq.conf"),
            RABBITMQ_ENABLED_PLUGINS_FILE=str(self.dir / "enabled_plugins"),
            RABBITMQ_PID_FILE=str(self.dir / "pid"),
        )
        return env

    def _tls_config(self) -> str:
        if self.tls is None:
            return ""
        copies = {}  # the node runs as `rabbitmq`: its own copies in its directory
        for name in ("ca", "server_cert", "server_key"):
            copies[name] = self.dir / f"tls-{name}.pem"
            shutil.copyfile(getattr(self.tls, name), copies[name])
        return (
            f"listeners.ssl.default = 127.0.0.1:{self.tls_port}\n"
            f"ssl_options.cacertfile = {copies['ca']}\n"
            f"ssl_options.certfile = {copies['server_cert']}\n"
            f"ssl_options.keyfile = {copies['server_key']}\n"
            "ssl_options.verify = verify_peer\n"
            "ssl_options.fail_if_no_peer_cert = false\n"
        )

    def ctl(self, *args: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(
            ["rabbitmqctl", "-n", self.node, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=self._env(),
        )
        if check and result.returncode != 0:
            raise RuntimeError(
                f"rabbitmqctl {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
                f"\n{self.log_tail()}"
            )
        return result

    def log_tail(self, lines: int = 40) -> str:
        logs = sorted((self.dir / "log").glob("*.log"))
        if not logs:
            return "(no broker log)"
        text = logs[0].read_text(errors="replace").splitlines()[-lines:]
        return f"-- last lines of {logs[0].name}:\n" + "\n".join(text)

    def start(self, timeout: float = 120) -> None:
        (self.dir / "mnesia").mkdir()
        (self.dir / "log").mkdir()
        (self.dir / "rabbitmq.conf").write_text(
            f"listeners.tcp.default = {self.port}\n"
            f"management.tcp.port = {self.management_port}\n"
            "management.tcp.ip = 127.0.0.1\n" + self._tls_config()
        )
        (self.dir / "enabled_plugins").write_text("[rabbitmq_management].\n")
        self.dir.chmod(0o755)
        shutil.chown(self.dir, "rabbitmq", "rabbitmq")
        for child in self.dir.iterdir():
            shutil.chown(child, "rabbitmq", "rabbitmq")
        # Quorum queues hold file handles: give the node room (the default 1024 is tight).
        subprocess.run(
            ["bash", "-c", "ulimit -n 65536 2>/dev/null || true; exec rabbitmq-server -detached"],
            check=True,
            capture_output=True,
            timeout=60,
            env=self._env(),
        )
        deadline = time.monotonic() + timeout
        while self.ctl("ping", timeout=30, check=False).returncode != 0:
            if time.monotonic() > deadline:
                raise RuntimeError(f"private broker {self.node} did not start\n{self.log_tail()}")
            time.sleep(0.5)
        self.ctl("await_startup", "--timeout", str(int(timeout)), timeout=timeout + 10)
        self._wait_management(deadline)

    def _wait_management(self, deadline: float) -> None:
        import httpx

        while True:
            try:
                if (
                    httpx.get(
                        f"http://127.0.0.1:{self.management_port}/api/overview",
                        auth=("guest", "guest"),
                        timeout=5,
                    ).status_code
                    == 200
                ):
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"private broker {self.node}: no management API\n{self.log_tail()}")
            time.sleep(0.5)

    def restart_app(self, timeout: float = 120) -> None:
        """Stop and start the RabbitMQ application (connections drop, durable state survives)."""
        self.ctl("stop_app", timeout=timeout)
        self.ctl("start_app", timeout=timeout)
        self.ctl("await_startup", "--timeout", str(int(timeout)), timeout=timeout + 10)

    def stop(self) -> None:
        try:
            self.ctl("shutdown", timeout=120, check=False)
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)
