"""Backup and restore of one service's database (scripts/backup-restore.py): a receipts database with
money in it is backed up, wiped and restored on the local PostgreSQL, and its money check and every
table's content come back identical."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest
from osame_chassis.testing import ServiceHarness
from osame_contracts.messages import receipts, taxation
from osame_receipts.adapters import orm
from osame_receipts.bootstrap import ReceiptsSettings, build_spec
from osame_receipts.service_layer import handlers

pytestmark = pytest.mark.integration
SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "backup-restore.py"
D = dt.date


async def receipts_with_money(url: str) -> None:
    harness = ServiceHarness(
        build_spec, ReceiptsSettings(database_url=url, telemetry_enabled=False), orm.metadata
    )
    try:
        await harness.migrate()
        await harness.handle(
            handlers.record_assessment,
            taxation.AssessmentRegistered(
                addressee_id="100001",
                notice_number="2026010000123",
                fiscal_year=2026,
                tax_year=2026,
                tax_item=taxation.TaxItem.FIXED_ASSET_TAX,
                revision=1,
                assessed_on=D(2026, 4, 1),
                installments=[
                    taxation.AssessedInstallment(
                        installment_no=1, principal_tax=25_000, due_date=D(2026, 4, 30)
                    )
                ],
            ),
        )
        for key, amount in (("0151-1", 25_000), ("0151-2", 3_000)):  # paid, then 3,000 yen too much
            await harness.handle(
                handlers.record_receipt,
                receipts.RecordReceipt(
                    channel=receipts.Channel.BANK_COUNTER,
                    channel_key=key,
                    notice_number="2026010000123",
                    installment_no=1,
                    amount=amount,
                    paid_on=D(2026, 4, 28),
                    booked_on=D(2026, 4, 30),
                ),
            )
    finally:
        await harness.close()


def script(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True, timeout=300)


async def test_drill_backs_up_wipes_and_restores_with_the_same_money(pg_databases, tmp_path):
    (url,) = await asyncio.to_thread(pg_databases, 1)
    await receipts_with_money(url)
    result = script("drill", "--service", "receipts", "--database-url", url, "--work-dir", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["identical_after_restore"] is True and report["wiped_tables"] == 0
    assert (
        report["money_before"]
        == report["money_after"]
        == {"received": 28_000, "applied": 25_000, "unmatched": 0}
    )
    assert report["rows"] > 0 and (tmp_path / "receipts.dump.sha256").is_file()


async def test_a_backup_restores_into_another_database_and_a_damaged_one_is_refused(pg_databases, tmp_path):
    source, target = await asyncio.to_thread(pg_databases, 2)
    await receipts_with_money(source)
    dump = tmp_path / "receipts.dump"
    assert (
        script("backup", "--service", "receipts", "--database-url", source, "--out", str(dump)).returncode
        == 0
    )
    restored = script("restore", "--service", "receipts", "--database-url", target, "--file", str(dump))
    assert restored.returncode == 0, restored.stderr
    original = script("fingerprint", "--service", "receipts", "--database-url", source)
    assert json.loads(restored.stdout) == json.loads(original.stdout)

    dump.write_bytes(dump.read_bytes()[:-10] + b"0123456789")
    damaged = script("restore", "--service", "receipts", "--database-url", target, "--file", str(dump))
    assert damaged.returncode != 0 and "damaged" in damaged.stderr
