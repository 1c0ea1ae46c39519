"""Checks for deploy/docker/ (Dockerfile, health probe) and .dockerignore.

No Docker engine is needed: the Dockerfile is read as text, the build context
is checked against .dockerignore, and the health probe runs against a local
HTTP server on 127.0.0.1.
"""

from __future__ import annotations

import importlib.util
import re
import threading
import tomllib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any, ClassVar

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "deploy" / "docker" / "Dockerfile"
HEALTHCHECK = ROOT / "deploy" / "docker" / "healthcheck.py"
DOCKERIGNORE = ROOT / ".dockerignore"

# workspace package -> (repo dir, python package, console script)
SERVICES = {
    "osame-receipts": ("services/receipts", "osame_receipts", "osame-receipts"),
    "osame-refunds": ("services/refunds", "osame_refunds", "osame-refunds"),
    "osame-collection": ("services/collection", "osame_collection", "osame-collection"),
    "osame-address-sync": ("services/address-sync", "osame_address_sync", "osame-address-sync"),
    "osame-gateway": ("services/intermediate-server-gw", "osame_gateway", "osame-gateway"),
}
# Other workspace packages compose builds from the same Dockerfile: the 情報提供ネットワークシステム
# simulator, the `osame` CLI (the DEV-ONLY token issuer), the staff console and its DEV-ONLY OIDC issuer.
HELPERS = {
    "osame-simulator": ("simulators/jpn-network", "osame_simulator", "osame-simulator"),
    "osame-cli": ("tools/cli", "osame_cli", "osame"),
    "osame-console": ("services/console", "osame_console", "osame-console"),
    "osame-dev-issuer": ("tools/dev-issuer", "osame_dev_issuer", "osame-dev-issuer"),
}


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with line continuations joined and comments dropped."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        full = (pending + line).strip()
        pending = ""
        keyword, _, rest = full.partition(" ")
        instructions.append((keyword.upper(), rest.strip()))
    return instructions


def final_stage() -> list[tuple[str, str]]:
    instructions = dockerfile_instructions()
    last_from = max(i for i, (keyword, _) in enumerate(instructions) if keyword == "FROM")
    return instructions[last_from:]


# ---------------------------------------------------------------- Dockerfile


def test_uv_comes_from_the_pinned_official_image() -> None:
    copies = [args for keyword, args in dockerfile_instructions() if keyword == "COPY"]
    uv_copies = [a for a in copies if "ghcr.io/astral-sh/uv" in a]
    assert uv_copies, "uv must be copied from ghcr.io/astral-sh/uv"
    for args in uv_copies:
        match = re.search(r"--from=ghcr\.io/astral-sh/uv:(\S+)", args)
        assert match, args
        assert re.fullmatch(r"\d+\.\d+\.\d+", match.group(1)), f"uv image tag not pinned: {match.group(1)}"


def test_build_args_select_the_service() -> None:
    args = {a.split("=")[0] for keyword, a in dockerfile_instructions() if keyword == "ARG"}
    assert {"SERVICE_PACKAGE", "SERVICE_COMMAND"} <= args
    runs = " ".join(a for keyword, a in dockerfile_instructions() if keyword == "RUN")
    sync = re.search(r"uv sync ([^&;]*)", runs)
    assert sync, "no `uv sync` in the Dockerfile"
    flags = sync.group(1)
    for flag in ("--frozen", "--no-dev"):
        assert flag in flags
    assert re.search(r'--package "?\$\{?SERVICE_PACKAGE\}?"?', flags)


def test_runtime_stage_runs_as_non_root_with_a_healthcheck_and_command() -> None:
    stage = final_stage()
    users = [a for keyword, a in stage if keyword == "USER"]
    assert users, "the runtime stage sets no USER"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0"), f"runs as {user}"
    healthchecks = [a for keyword, a in stage if keyword == "HEALTHCHECK"]
    assert healthchecks, "no HEALTHCHECK"
    assert "healthcheck.py" in healthchecks[-1] and "/healthz" in healthchecks[-1]
    assert "curl" not in healthchecks[-1] and "wget" not in healthchecks[-1]
    assert any(keyword in ("CMD", "ENTRYPOINT") for keyword, _ in stage)
    env = " ".join(a for keyword, a in stage if keyword == "ENV")
    assert "OSAME_HTTP_HOST=0.0.0.0" in env


def test_every_copied_path_exists_and_is_in_the_build_context() -> None:
    patterns = dockerignore_patterns()
    for keyword, args in dockerfile_instructions():
        if keyword != "COPY" or "--from=" in args:
            continue
        parts = [p for p in args.split() if not p.startswith("--")]
        for source in parts[:-1]:
            if source == ".":
                continue
            assert (ROOT / source).exists(), f"COPY source {source} does not exist"
            assert not is_excluded(source, patterns), f"COPY source {source} is excluded by .dockerignore"


# -------------------------------------------------------------- .dockerignore


def dockerignore_patterns() -> list[tuple[bool, re.Pattern[str]]]:
    """(negated, regex) per line, in order, after Docker's pattern rules."""
    patterns: list[tuple[bool, re.Pattern[str]]] = []
    for raw in DOCKERIGNORE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        line = line.lstrip("!").strip().strip("/")
        regex = ""
        i = 0
        while i < len(line):
            if line.startswith("**/", i):
                regex += "(?:.*/)?"
                i += 3
            elif line.startswith("**", i):
                regex += ".*"
                i += 2
            elif line[i] == "*":
                regex += "[^/]*"
                i += 1
            elif line[i] == "?":
                regex += "[^/]"
                i += 1
            else:
                regex += re.escape(line[i])
                i += 1
        patterns.append((negated, re.compile(regex + r"\Z")))
    return patterns


def is_excluded(path: str, patterns: list[tuple[bool, re.Pattern[str]]]) -> bool:
    parts = path.strip("/").split("/")
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    excluded = False
    for negated, pattern in patterns:
        if any(pattern.match(candidate) for candidate in candidates):
            excluded = not negated
    return excluded


def workspace_members() -> list[str]:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return pyproject["tool"]["uv"]["workspace"]["members"]


def test_dockerignore_keeps_the_workspace() -> None:
    patterns = dockerignore_patterns()
    needed = ["pyproject.toml", "uv.lock", "deploy/docker/healthcheck.py"]
    for member in workspace_members():
        needed.append(f"{member}/pyproject.toml")
        needed.extend(str(p.relative_to(ROOT)) for p in (ROOT / member / "src").rglob("*.py"))
    kept_out = [path for path in needed if is_excluded(path, patterns)]
    assert not kept_out, f".dockerignore excludes files the build needs: {kept_out}"


@pytest.mark.parametrize(
    "path",
    [".env", "services/receipts/.env", ".git/config", ".venv/bin/python", "docker-compose.yml"],
)
def test_dockerignore_keeps_secrets_and_clutter_out(path: str) -> None:
    assert is_excluded(path, dockerignore_patterns()), f"{path} would be sent to the Docker daemon"


# ------------------------------------------------------- workspace alignment


@pytest.mark.parametrize("package", sorted({**SERVICES, **HELPERS}))
def test_service_package_and_console_script_exist(package: str) -> None:
    """The Dockerfile runs `uv sync --package P` and then the console script C."""
    directory, module, script = {**SERVICES, **HELPERS}[package]
    assert directory in workspace_members(), f"{directory} is not a uv workspace member"
    project = tomllib.loads((ROOT / directory / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["name"] == package
    assert (ROOT / directory / "src" / module).is_dir(), f"missing src/{module}"
    scripts = project.get("scripts") or {}
    assert script in scripts, (
        f"{directory}/pyproject.toml must declare the console script {script!r} "
        f"(the image runs it); it declares {sorted(scripts)}"
    )
    assert scripts[script].split(":")[0].split(".")[0] == module


def test_compose_build_args_match_the_workspace() -> None:
    compose: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    built = {
        service["build"]["args"]["SERVICE_PACKAGE"]: service["build"]["args"]["SERVICE_COMMAND"]
        for service in compose["services"].values()
        if isinstance(service.get("build"), dict)
    }
    expected = {package: script for package, (_, _, script) in {**SERVICES, **HELPERS}.items()}
    assert built == expected


# ------------------------------------------------------------- health probe


@pytest.fixture(scope="module")
def probe() -> ModuleType:
    spec = importlib.util.spec_from_file_location("osame_deploy_healthcheck", HEALTHCHECK)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Handler(BaseHTTPRequestHandler):
    statuses: ClassVar[dict[str, int]] = {"/healthz": 200, "/readyz": 503}

    def do_GET(self) -> None:
        status = self.statuses.get(self.path, 404)
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:  # silence the test output
        pass


@pytest.fixture
def local_server() -> Iterator[int]:
    server = HTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_probe_healthy(probe: ModuleType, local_server: int) -> None:
    env = {"OSAME_HTTP_PORT": str(local_server), "http_proxy": "http://127.0.0.1:9"}
    assert probe.main([], env) == 0
    assert probe.main(["/healthz"], env) == 0


def test_probe_unhealthy_on_error_status(probe: ModuleType, local_server: int) -> None:
    env = {"OSAME_HTTP_PORT": str(local_server)}
    assert probe.main(["/readyz"], env) == 1
    assert probe.main(["/nowhere"], env) == 1


def test_probe_unhealthy_when_nothing_listens(probe: ModuleType) -> None:
    server = HTTPServer(("127.0.0.1", 0), _Handler)
    port = server.server_address[1]
    server.server_close()
    assert probe.main([], {"OSAME_HTTP_PORT": str(port), "OSAME_HEALTHCHECK_TIMEOUT": "1"}) == 1


def test_probe_url_defaults(probe: ModuleType) -> None:
    assert probe.probe_url(None, {}) == "http://127.0.0.1:8100/healthz"
    assert probe.probe_url("readyz", {"OSAME_HTTP_PORT": "8104"}) == "http://127.0.0.1:8104/readyz"
