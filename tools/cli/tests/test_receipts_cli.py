"""``osame zengin parse``, ``osame cvs check`` and ``osame receipts import/unmatched/assign/kei-jnks``."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from osame_cli.receipts_cli import cvs_app, receipts_app, zengin_app
from osame_receipts.adapters import cvs, normalized
from osame_zengin import debit as zengin
from typer.testing import CliRunner

runner = CliRunner()
D = dt.date


def _result_file(codes=("0", "1"), crlf=True) -> bytes:
    header = zengin.Header(
        creditor_code="1234567890",
        creditor_name="ｼﾔｸｼﾖ",
        debit_date=D(2026, 5, 27),
        bank_code="0001",
        branch_code="123",
        account_number="1234567",
    )
    records = [
        zengin.DebitRecord(
            bank_code="0005",
            branch_code="002",
            account_type="1",
            account_number=f"{k:07d}",
            holder_kana="ｽｽﾞｷ ﾊﾅｺ",
            amount=1_000 * k,
            customer_number=f"{k:020d}",
            result_code=c,
        )
        for k, c in enumerate(codes, 1)
    ]
    return zengin.build_file(header, records, result=True, crlf=crlf)


def test_zengin_parse_prints_json(tmp_path):
    path = tmp_path / "result.txt"
    path.write_bytes(_result_file())
    result = runner.invoke(zengin_app, ["parse", str(path), "--year", "2026"])
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["header"]["debit_date"] == "2026-05-27"
    assert [(r["record_no"], r["amount"], r["result"]) for r in out["records"]] == [
        (2, 1_000, "debited"),
        (3, 2_000, "insufficient_funds"),
    ]
    assert (out["trailer"]["done_count"], out["trailer"]["failed_total"]) == (1, 2_000)


def test_zengin_parse_exits_non_zero_with_located_errors(tmp_path):
    data = bytearray(_result_file())
    data[122 * 3 + 7 : 122 * 3 + 19] = b"000000009999"  # 合計金額 in the trailer (record 4)
    path = tmp_path / "bad.txt"
    path.write_bytes(bytes(data))
    result = runner.invoke(zengin_app, ["parse", str(path), "--year", "2026"])
    assert result.exit_code == 1
    assert "bad.txt: record 4: 合計金額" in result.stderr


@pytest.mark.parametrize(
    ("code", "valid"),
    [
        ("91912345123456789012345678901026053100123004", True),
        ("91912345123456789012345678901026053100123005", False),
    ],
)
def test_cvs_check(code, valid):
    result = runner.invoke(cvs_app, ["check", code])
    assert result.exit_code == 0
    out = json.loads(result.stdout)
    assert out["valid"] is valid and out["amount"] == 12_300 and out["pay_by"] == "2026-05-31"


@pytest.mark.parametrize("code", ["12345", "9191234512345678901234567890102605310012300X"])
def test_cvs_check_unusable_input(code):
    result = runner.invoke(cvs_app, ["check", code])
    assert result.exit_code == 2 and result.stderr.startswith("error:")


def _operator(tmp_path, monkeypatch, user="ops-01", roles=("receipts_staff",)) -> str:
    """The service's issuer keys in OSAME_AUTH_JWKS_FILE; a staff token in OSAME_OPERATOR_TOKEN."""
    from osame_chassis.auth import DevIssuer

    issuer = DevIssuer(tmp_path / "issuer")
    monkeypatch.setenv("OSAME_AUTH_JWKS_FILE", str(issuer.write_jwks()))
    token = issuer.token(user, list(roles))
    monkeypatch.setenv("OSAME_OPERATOR_TOKEN", token)
    return token


def _audit(tmp_path) -> list[tuple]:
    import sqlite3

    with sqlite3.connect(tmp_path / "receipts.db") as db:
        return db.execute("SELECT user_id, operation, outcome, client FROM audit_log ORDER BY id").fetchall()


def test_operator_commands_need_a_verified_token_and_are_audited(tmp_path, monkeypatch):
    """Issue 13 item 9: the operator is the token's subject (not a flag), every run is audited."""
    monkeypatch.setenv("OSAME_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/receipts.db")
    token = _operator(tmp_path, monkeypatch)
    monkeypatch.delenv("OSAME_OPERATOR_TOKEN")
    ocr = tmp_path / "ocr.csv"
    ocr.write_bytes(
        normalized.write("ocr", [["0001", "001", "1", "555", "1", "4000", "20260520", "20260522"]])
    )
    refused = runner.invoke(receipts_app, ["import", "ocr", str(ocr)])
    assert refused.exit_code == 2 and "missing_token" in refused.stderr
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert runner.invoke(receipts_app, ["import", "ocr", str(ocr), "--token", forged]).exit_code == 2
    other = _operator(tmp_path, monkeypatch, "c-01", ("collection_staff",))
    assert runner.invoke(receipts_app, ["import", "ocr", str(ocr), "--token", other]).exit_code == 2
    done = runner.invoke(receipts_app, ["import", "ocr", str(ocr), "--token", token])
    assert done.exit_code == 0, done.stderr
    assert _audit(tmp_path) == [
        ("-", "import.run", "refused:missing_token", "cli:receipts"),
        ("-", "import.run", "refused:invalid_token", "cli:receipts"),
        ("c-01", "import.run", "refused:permission_denied", "cli:receipts"),
        ("ops-01", "import.run", "ok:applied", "cli:receipts"),
    ]


def test_import_unmatched_and_assign(tmp_path, monkeypatch):
    """In-process against a fresh receipts SQLite store (the service's own settings)."""
    monkeypatch.setenv("OSAME_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/receipts.db")
    _operator(tmp_path, monkeypatch)
    ocr = tmp_path / "ocr.csv"
    ocr.write_bytes(
        normalized.write("ocr", [["0001", "001", "1", "555", "1", "4000", "20260520", "20260522"]])
    )
    result = runner.invoke(receipts_app, ["import", "ocr", str(ocr)])
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["status"], report["unmatched"]) == ("applied", 1)
    listed = json.loads(runner.invoke(receipts_app, ["unmatched"]).stdout)
    assert [r["amount"] for r in listed] == [4_000]
    refused = runner.invoke(receipts_app, ["assign", listed[0]["receipt_id"], "555", "1"])
    assert refused.exit_code == 1 and "no such installment" in refused.stderr
    bad = tmp_path / "bad.csv"
    bad.write_bytes(ocr.read_bytes().replace(b"T,1,4000", b"T,2,4000"))
    result = runner.invoke(receipts_app, ["import", "ocr", str(bad)])
    assert result.exit_code == 1 and "bad.csv: record 3: count" in result.stderr
    out = tmp_path / "kei.csv"
    result = runner.invoke(receipts_app, ["kei-jnks", "--fiscal-year", "2026", "--out", str(out)])
    assert result.exit_code == 0 and out.read_bytes().startswith(b"vehicle_plate,")
    # a CVS barcode printed by the code is read back by the import
    code = cvs.build_barcode(
        company_code="912345", notice_number="555", installment_no=1, pay_by=D(2026, 6, 30), amount=4_000
    )
    agent = tmp_path / "cvs.csv"
    agent.write_bytes(
        cvs.agent_file([("01", D(2026, 5, 28), code, 4_000, D(2026, 6, 10))], created_on=D(2026, 6, 1))
    )
    result = runner.invoke(receipts_app, ["import", "cvs", str(agent)])
    assert result.exit_code == 0 and json.loads(result.stdout)["unmatched"] == 1
    assert [(u, op, outcome.split(":")[0]) for u, op, outcome, _ in _audit(tmp_path)] == [
        ("ops-01", "import.run", "ok"),
        ("ops-01", "unmatched.read", "ok"),
        ("ops-01", "unmatched.assign", "error"),
        ("ops-01", "import.run", "ok"),
        ("ops-01", "export.read", "ok"),
        ("ops-01", "import.run", "ok"),
    ]
