"""The README's first command: `osame demo` (SQLite stores) settles a synthetic city's day."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.e2e, pytest.mark.timeout(900)]


def test_demo_runs_a_day_and_prints_the_summary(amqp_url, tmp_path):
    env = {**os.environ, "OSAME_AMQP_URL": amqp_url}
    result = subprocess.run(
        [sys.executable, "-m", "osame_cli.main", "demo", "--households", "12", "--work-dir", str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=800,
        check=False,
    )
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    assert "Demo day settled" in out
    assert "spans per service" in out and "osame-receipts" in out and "osame-refunds" in out
    # the mission flows (issue 19; their figures: test_e2e_demo_mission.py)
    assert "The mission" in out and "FAILED" not in out
    assert "Trace of the income query" in out and "osame-intermediate-server-gw" in out
    assert (
        "exit codes: receipts=0, refunds=0, collection=0, address-sync=0, intermediate-server-gw=0"
        in out.replace("\n", "")
    )
