"""The benchmark command's figures are computed from a real run (small size; no time assertions)."""

from __future__ import annotations

import pytest
from osame_receipts import bench

pytestmark = pytest.mark.integration


async def test_bench_runs_end_to_end_and_reports_consistent_figures(pg_server_url, monkeypatch):
    monkeypatch.setattr(bench, "FILE_LIMIT", 1_500)  # two files, as a million-record run needs
    lines: list[str] = []
    figures = await bench.run(pg_server_url, 2_000, 300, echo=lines.append)
    assert figures["files"] == 2
    failed = [k for k in range(2_000) if k % 33 == 0]
    assert (figures["applied"], figures["failures"]) == (2_000 - len(failed), len(failed))
    assert figures["paid_yen"] == sum(1_000 + k % 50_000 for k in range(2_000) if k % 33)
    # ≤1,000 installments per message: file 1 settles 1,454 (2 messages), file 2 settles 485 (1);
    # and each file says its 振替結果 is imported (collection releases its 督促 hold): 1 + 1
    assert figures["outbox_messages"] == 3 + 2
    for key in (
        "end_to_end_rows_s",
        "copy_rows_s",
        "floor_rows_s",
        "orm_rows_s",
        "ratio_to_copy",
        "ratio_to_orm",
    ):
        assert figures[key] > 0
    assert any("end to end" in line for line in lines)
