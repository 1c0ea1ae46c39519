"""A service's own background tasks and operator commands are declared on its ServiceSpec (issue 20).

The gateway used to patch `spec.register` and poll for the runtime to start its worker, and
collection patched `broker.start` to start its schedule; now the runner starts every declared
task beside the consumers and `service_main` dispatches every declared command.
"""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import pytest
from osame_chassis import cli, runner
from osame_chassis.runtime import ServiceRuntime, ServiceSpec
from osame_chassis.settings import ServiceSettings


def _settings(tmp_path) -> ServiceSettings:
    return ServiceSettings(
        service_name="chassis-test",
        database_url=f"sqlite+aiosqlite:///{tmp_path}/program.db",
        amqp_url="amqp://guest:guest@127.0.0.1:1/",
        amqp_prefix="t.",
        migrate_on_start=False,
        telemetry_enabled=False,
        http_port=0,
    )


async def _noop(runtime, stop) -> None:
    return None


async def _other(runtime, stop) -> None:
    return None


@pytest.mark.parametrize(
    ("background", "expected"),
    [
        pytest.param(None, [], id="none"),
        pytest.param(_noop, [_noop], id="one"),
        pytest.param((_noop, _other), [_noop, _other], id="several"),
    ],
)
def test_background_tasks_are_one_or_several(tmp_path, background, expected):
    spec = ServiceSpec(_settings(tmp_path), Path("/nonexistent"), lambda _: None, background=background)
    assert spec.background_tasks() == expected


def test_a_declared_command_gets_the_spec_and_its_argv(tmp_path, monkeypatch):
    seen = []

    def hello(spec: ServiceSpec, argv: list[str]) -> None:
        """say hello"""
        seen.append((spec.settings.service_name, argv))

    monkeypatch.delenv("OSAME_SERVICE_NAME", raising=False)

    def factory() -> ServiceSpec:
        return ServiceSpec(
            _settings(tmp_path), Path("/nonexistent"), lambda _: None, commands={"hello": hello}
        )

    cli.service_main(factory, ["hello", "--token", "t", "x"])
    assert seen == [("chassis-test", ["hello", "--token", "t", "x"])]
    with pytest.raises(SystemExit) as unknown:  # neither the service's nor the chassis'
        cli.service_main(factory, ["goodbye"])
    assert unknown.value.code == 2
    assert "hello: say hello" in cli._extra_commands(factory)


async def test_the_runner_runs_every_background_task_until_shutdown(tmp_path, monkeypatch):
    """The runner's task wiring only: start/stop of the broker and database are the chassis'
    own (tested with the real broker elsewhere), replaced here by no-ops."""
    started: list[str] = []
    stopped: list[str] = []

    def task(name: str):
        async def run(runtime: ServiceRuntime, stop: asyncio.Event) -> None:
            started.append(name)
            try:
                await stop.wait()
            finally:
                stopped.append(name)

        return run

    async def no_preflight(settings) -> None:
        return None

    async def start(runtime) -> None:
        runtime.ready = True

    async def stop(runtime) -> None:
        await runtime.dispose_databases()

    monkeypatch.setattr(runner, "preflight", no_preflight)
    monkeypatch.setattr(runner, "start", start)
    monkeypatch.setattr(runner, "stop", stop)
    spec = ServiceSpec(
        _settings(tmp_path), Path("/nonexistent"), lambda _: None, background=(task("a"), task("b"))
    )
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    serving = asyncio.create_task(runner.serve(spec))
    for _ in range(200):
        if len(started) == 2:
            break
        await asyncio.sleep(0.02)
    assert sorted(started) == ["a", "b"]
    os.kill(os.getpid(), signal.SIGTERM)  # the runner owns SIGTERM: it sets its stop event
    try:
        await asyncio.wait_for(serving, timeout=10)
    finally:
        for sig, handler in previous.items():  # the test process's own handling, as it was
            asyncio.get_running_loop().remove_signal_handler(sig)
            signal.signal(sig, handler)
    assert sorted(stopped) == ["a", "b"]
