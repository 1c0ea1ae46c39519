"""`osame retention` / `osame disclosure` (issue 13): service URLs, refusals before any call, and no
file written when a service does not answer (an export must hold all five)."""

from __future__ import annotations

import socket

import pytest
import typer
from osame_cli.data_rights_cli import SERVICES, service_urls, summary_text
from osame_cli.main import app
from typer.testing import CliRunner


def test_urls_from_defaults_environment_and_flags():
    urls = service_urls(["refunds=http://r:9"], environ={"OSAME_GATEWAY_URL": "http://gw:1"})
    assert urls == {
        "receipts": "http://127.0.0.1:8101",
        "refunds": "http://r:9",
        "collection": "http://127.0.0.1:8103",
        "address-sync": "http://127.0.0.1:8104",
        "intermediate-server-gw": "http://gw:1",
    }
    with pytest.raises(typer.BadParameter):
        service_urls(["console=http://x"], environ={})


def test_summary_counts_records_per_service_and_table():
    section = {
        "records": {"notices": {"title": "通知書", "rows": [{}, {}]}, "mandates": {"title": "m", "rows": []}}
    }
    document = {
        "addressee_id": "100009",
        "generated_at": "2026-12-08T00:00:00+00:00",
        "legal_basis": "個人情報保護法 §76",
        "services": dict.fromkeys(SERVICES, section),
    }
    text = summary_text(document)
    assert "== receipts: 2 records" in text and "通知書 (notices): 2" in text and "mandates" not in text


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed when the socket is: nothing listens there


def test_export_writes_nothing_when_a_service_does_not_answer(tmp_path):
    dead = f"http://127.0.0.1:{_closed_port()}"
    urls = [f"--url={name}={dead}" for name in SERVICES]
    out = tmp_path / "kaiji.json"
    result = CliRunner().invoke(
        app, ["disclosure", "export", "--addressee", "100009", "--out", str(out), *urls]
    )
    assert result.exit_code == 1 and "unreachable" in result.output and "nothing written" in result.output
    assert not out.exists() and not out.with_suffix(".txt").exists()


def test_bad_addressee_and_unknown_service_are_refused_before_any_call(tmp_path):
    runner = CliRunner()
    bad = runner.invoke(
        app, ["disclosure", "export", "--addressee", "abc", "--out", str(tmp_path / "x.json")]
    )
    assert bad.exit_code == 2 and "1-15 digits" in bad.output
    unknown = runner.invoke(app, ["retention", "run", "--service", "console"])
    assert unknown.exit_code == 2 and "unknown service" in unknown.output
