"""``osame collection``: help, the benchmark on SQLite (prints figures), input errors."""

import json
import subprocess
import sys

from osame_cli.collection_cli import collection_app
from typer.testing import CliRunner

runner = CliRunner()


def test_help_lists_the_commands():
    result = runner.invoke(collection_app, ["--help"])
    assert result.exit_code == 0
    for command in ("batch", "letters", "benchmark"):
        assert command in result.stdout


def test_batch_refuses_a_bad_date_and_an_unreachable_service():
    bad = runner.invoke(collection_app, ["batch", "--date", "2026-13-01"])
    assert bad.exit_code == 2 and "not an ISO date" in bad.stderr
    down = runner.invoke(collection_app, ["batch", "--date", "2026-07-15", "--url", "http://127.0.0.1:9"])
    assert down.exit_code == 2 and "cannot reach" in down.stderr


def test_benchmark_prints_batch_and_baseline_figures(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "osame_collection",
            "benchmark",
            "--rows",
            "3000",
            "--rounds",
            "2",
            "--database-url",
            f"sqlite+aiosqlite:///{tmp_path}/bench.db",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout)
    assert figures["rows"] == 3000
    # every late installment is priced; not-late ones with no 延滞金 are left as they are
    priced = figures["late_fee_set_based"] + figures["late_fee_detailed"]
    assert 3000 - figures["not_late_yet"] <= priced <= 3000 and figures["not_late_yet"] > 0
    assert figures["demand_notices"] > 0 and figures["withheld"]["receipt"] > 0
    assert figures["rounds"] == 2
    assert len(figures["batch_seconds"]) == len(figures["baseline_update_seconds"]) == 2
    assert figures["median_batch_seconds"] > 0 and figures["ratio_to_baseline"] > 0
