"""Starts the five services as separate processes and stops them cleanly (demo and tests).

Each process gets its own HTTP port, its own store (a SQLite file under a data dir, or a
PostgreSQL database) and the same broker namespace, where it connects as its own broker user
(`start()` provisions the namespace's exchanges and users with fresh passwords through the
management API; `osame_cli.bus.delete_namespace` removes them). Staff actions are signed with
per-run staff proof keys. `stack.bus()` connects a client that publishes each message as a
principal the contracts allow (the demo and tests play the outside systems with it).
Logs go to one file per service.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from osame_chassis.messaging.provision import Accounts, generate_passwords
from osame_chassis.messaging.provision import provision as provision_namespace
from osame_chassis.messaging.staff_proof import StaffProofSigner, generate_key
from osame_chassis.sealed_number import DEMO_TRANSPORT_KEYS
from osame_contracts.publishers import PRINCIPALS, published_by

SERVICES: dict[str, str] = {
    "receipts": "osame_receipts",
    "refunds": "osame_refunds",
    "collection": "osame_collection",
    "address-sync": "osame_address_sync",
    "intermediate-server-gw": "osame_gateway",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class ServiceProcess:
    name: str
    module: str
    port: int
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", self.module],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def ready(self) -> bool:
        try:
            return httpx.get(self.url + "/readyz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def stats(self) -> dict:
        try:
            return httpx.get(self.url + "/stats", timeout=5).json()
        except httpx.TimeoutException as exc:  # say which service, and where its log is
            raise TimeoutError(f"{self.name} /stats did not answer in 5 s; see {self.log_path}") from exc

    def stop(self, timeout: float = 30) -> int | None:
        """SIGTERM (graceful: in-flight handlers finish, outbox drained), SIGKILL after `timeout`."""
        if not self.alive():
            return self.process.returncode if self.process else None
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait(5)

    def kill(self) -> None:
        """SIGKILL: a crash, for reliability tests."""
        if self.alive():
            self.process.kill()
            self.process.wait(5)


class SimulatorProcess(ServiceProcess):
    """The simulator is not a service: ready when /healthz answers."""

    def ready(self) -> bool:
        try:
            return httpx.get(self.url + "/healthz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False


@dataclass
class Stack:
    amqp_url: str
    prefix: str
    work_dir: Path
    database_urls: dict[str, str] = field(default_factory=dict)
    otlp_endpoint: str | None = None
    extra_env: dict[str, str] = field(default_factory=dict)
    services: dict[str, ServiceProcess] = field(default_factory=dict)
    with_simulator: bool = False  # also start the 情報提供ネットワークシステム simulator; the gateway uses it
    simulator: ServiceProcess | None = None
    # Local wiring for a complete run: a development token issuer whose keys every service trusts,
    # a 個人番号 key for address-sync, and the gateway's service token for address-sync's endpoint.
    dev_wiring: bool = False
    issuer: object | None = None
    accounts: Accounts | None = None
    signers: dict[str, StaffProofSigner] = field(default_factory=dict)
    # Also the staff console and its development OIDC issuer (needs dev_wiring; osame_cli.console_stack).
    with_console: bool = False
    console: ServiceProcess | None = None
    oidc: ServiceProcess | None = None

    def __post_init__(self) -> None:
        from osame_chassis.messaging.grants import OPERATOR

        self.accounts = Accounts(self.amqp_url, self.prefix, generate_passwords((*PRINCIPALS, OPERATOR)))
        staff_keys = {p: generate_key() for p in PRINCIPALS if any(m.staff_field for m in published_by(p))}
        public_keys = json.dumps({p: [public] for p, (_, public) in staff_keys.items()})
        # The outside systems' keys, and the services' too: a test that plays a service on the bus
        # (e.g. collection's income query) signs its staff actions as that service would.
        self.signers = {p: StaffProofSigner(p, private) for p, (private, _) in staff_keys.items()}
        for name, module in SERVICES.items():
            env = {k: v for k, v in os.environ.items() if not k.startswith(("OSAME_", "OTEL_"))}
            port = free_port()
            env.update(
                OSAME_AMQP_URL=self.accounts.url(name),
                OSAME_AMQP_PREFIX=self.prefix,
                OSAME_STAFF_PROOF_PUBLIC_KEYS=public_keys,
                OSAME_DATA_DIR=str(self.work_dir / "data"),
                OSAME_HTTP_PORT=str(port),
                OSAME_LOG_LEVEL="INFO",
                OTEL_SERVICE_NAME=f"osame-{name}",
            )
            if name in staff_keys:
                env["OSAME_STAFF_PROOF_SIGNING_KEY"] = staff_keys[name][0]
            if name in self.database_urls:
                env["OSAME_DATABASE_URL"] = self.database_urls[name]
            if self.otlp_endpoint:
                env["OTEL_EXPORTER_OTLP_ENDPOINT"] = self.otlp_endpoint
                env["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf"
            env.update(self.extra_env)
            self.services[name] = ServiceProcess(
                name, module, port, env, self.work_dir / "logs" / f"{name}.log"
            )
        # A local stack plays the city's 住基 with the demo city's transport key (development only):
        # the tools and tests seal 個人番号 to it (osame_cli.city, osame_chassis.sealed_number).
        self.services["address-sync"].env.setdefault("OSAME_MYNUMBER_TRANSPORT_KEYS", DEMO_TRANSPORT_KEYS)
        if self.with_simulator:
            port = free_port()
            env = {k: v for k, v in os.environ.items() if not k.startswith(("OSAME_", "OTEL_"))}
            env.update(OSAME_SIMULATOR_PORT=str(port))
            self.simulator = SimulatorProcess(
                "simulator", "osame_simulator", port, env, self.work_dir / "logs" / "simulator.log"
            )
            self.services["intermediate-server-gw"].env.setdefault("OSAME_NETWORK_URL", self.simulator.url)
        if self.dev_wiring:
            self._wire_for_development()
        if self.with_console:
            from osame_cli.console_stack import add_console

            add_console(self)

    def _wire_for_development(self) -> None:
        import base64

        from osame_chassis.auth import DevIssuer

        self.issuer = DevIssuer(self.work_dir / "issuer")
        jwks = str(self.issuer.write_jwks())
        for service in self.services.values():
            service.env.setdefault("OSAME_AUTH_JWKS_FILE", jwks)
        address_sync = self.services["address-sync"]
        address_sync.env.setdefault("OSAME_MYNUMBER_KEY", base64.b64encode(os.urandom(32)).decode())
        gateway = self.services["intermediate-server-gw"].env
        gateway.setdefault("OSAME_ADDRESS_SYNC_URL", address_sync.url)
        gateway.setdefault(
            "OSAME_ADDRESS_SYNC_TOKEN",
            self.issuer.token("intermediate-server-gw", ["linkage_gateway"], ttl_seconds=86_400),
        )

    def provision(self) -> None:
        """Create the namespace's exchanges and every principal's broker user (idempotent)."""
        provision_namespace(self.amqp_url, self.prefix, self.accounts.passwords)

    def remove_namespace(self) -> None:
        """Delete the namespace's queues, exchanges and broker users (what `start()` created)."""
        import asyncio
        import threading

        from osame_cli.bus import delete_namespace

        # A thread of its own: the caller may be inside an event loop.
        worker = threading.Thread(target=asyncio.run, args=(delete_namespace(self.amqp_url, self.prefix),))
        worker.start()
        worker.join(60)

    def bus(self, middlewares=()):
        """`async with stack.bus() as bus:` — publishes as the principals the contracts allow."""
        from osame_cli.bus import connect

        return connect(
            self.amqp_url, self.prefix, middlewares=middlewares, accounts=self.accounts, signers=self.signers
        )

    def staff_token(self, user: str, roles: list[str]) -> str:
        """A token for staff calls to the services' HTTP APIs (needs `dev_wiring`)."""
        return self.issuer.token(user, roles)

    def start_simulator(self, timeout: float = 30) -> None:
        if self.simulator is not None and not self.simulator.alive():
            self.simulator.start()
            deadline = time.monotonic() + timeout
            while not self.simulator.ready():
                if not self.simulator.alive() or time.monotonic() > deadline:
                    raise RuntimeError(f"simulator did not start; see {self.simulator.log_path}")
                time.sleep(0.1)

    def start(self, timeout: float = 60) -> None:
        """Start everything and wait until ready; on failure stop what was started (no leaked processes)."""
        try:
            self.provision()
            self.start_simulator()
            for service in self.services.values():
                service.start()
            self.wait_ready(timeout)
            self.start_console(timeout)
        except BaseException:
            self.stop()
            self.remove_namespace()  # the caller's clean-up never runs when start fails
            raise

    def start_console(self, timeout: float = 60) -> None:
        """The issuer, then the console (it reads the issuer's discovery document on sign-in)."""
        for process in (self.oidc, self.console):
            if process is None or process.alive():
                continue
            process.start()
            deadline = time.monotonic() + timeout
            while not process.ready():
                if not process.alive() or time.monotonic() > deadline:
                    raise RuntimeError(f"{process.name} did not start; see {process.log_path}")
                time.sleep(0.1)

    def wait_ready(self, timeout: float = 60, names: list[str] | None = None) -> None:
        deadline = time.monotonic() + timeout
        pending = set(names or self.services)
        while pending:
            for name in sorted(pending):
                service = self.services[name]
                if not service.alive():
                    raise RuntimeError(
                        f"{name} exited with {service.process.returncode}; see {service.log_path}"
                    )
                if service.ready():
                    pending.discard(name)
            if pending and time.monotonic() > deadline:
                raise TimeoutError(f"not ready after {timeout}s: {sorted(pending)}")
            time.sleep(0.2)

    def stats(self) -> dict[str, dict]:
        return {name: s.stats() for name, s in self.services.items()}

    def stop(self) -> dict[str, int | None]:
        for process in (self.console, self.oidc):
            if process is not None:
                process.stop()
        codes = {name: s.stop() for name, s in self.services.items()}
        if self.simulator is not None:
            self.simulator.stop()
        return codes
