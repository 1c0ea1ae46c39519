"""``osame calc`` sub-app: JSON on stdout, exit 2 with a one-line error on stderr."""

import json

import pytest
from osame_cli.calc import calc_app
from typer.testing import CliRunner

runner = CliRunner()


def run(*args: str):
    return runner.invoke(calc_app, list(args))


def test_late_fee_json_spans_new_year():
    result = run("late-fee", "--tax", "100000", "--due", "2025-06-30", "--paid", "2026-02-10")
    assert result.exit_code == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["late_fee"] == 4800
    assert [(s["from"], s["to"], s["days"], s["rate"], s["base"], s["yen"]) for s in payload["segments"]] == [
        ("2025-07-01", "2025-07-31", 31, "2.4", 100000, 203),
        ("2025-08-01", "2025-12-31", 153, "8.7", 100000, 3646),
        ("2026-01-01", "2026-02-10", 41, "9.1", 100000, 1022),
    ]


def test_late_fee_with_partial_payment_and_stay():
    result = run(
        "late-fee",
        "--tax", "300000",
        "--due", "2025-06-30",
        "--paid", "2026-01-20",
        "--payment", "2025-09-10:100000",
        "--stay", "2025-10-01:2025-10-31",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    payload = json.loads(result.stdout)
    stay = [s for s in payload["segments"] if s.get("relief") == "enforcement_stay"]
    assert stay == [
        {
            "from": "2025-10-01",
            "to": "2025-10-31",
            "days": 31,
            "rate": "0",
            "base": 200000,
            "yen": 0,
            "tier": "second",
            "normal_rate": "8.7",
            "relief": "enforcement_stay",
            "relief_rule": "full",
        }
    ]
    # segments 611 + 2,931 + 953 + 0 (stay) + 2,907 + 997 = 8,399 → 8,300 (9,800 without the stay)
    assert payload["late_fee"] == 8300


def test_late_fee_deferral_and_first_tier_months():
    result = run(
        "late-fee", "--tax", "1000000", "--due", "2026-01-30", "--paid", "2026-08-31",
        "--deferral", "2026-02-15:2026-06-30:conversion",
    )  # fmt: skip
    assert json.loads(result.stdout)["late_fee"] == 21400
    result = run(
        "late-fee",
        "--tax",
        "100000",
        "--due",
        "2025-06-30",
        "--paid",
        "2025-10-31",
        "--first-tier-months",
        "3",
    )
    payload = json.loads(result.stdout)
    assert (payload["first_tier_end"], payload["late_fee"]) == ("2025-09-30", 1300)


@pytest.mark.parametrize(
    ("cause", "extra", "start"),
    [
        pytest.param("reassessment", [], "2025-07-01", id="ho17-4-1-i"),
        pytest.param("erroneous-payment", [], "2025-08-01", id="ho17-4-1-iv"),
        pytest.param("national-tax-change", ["--notified", "2025-11-14"], "2025-12-15", id="ho17-4-1-iii"),
        pytest.param(
            "correction-request",
            ["--requested", "2025-07-10", "--corrected", "2025-09-01"],
            "2025-10-02",
            id="ho17-4-1-ii",
        ),
    ],
)
def test_refund_interest_start_per_cause(cause, extra, start):
    result = run(
        "refund-interest", "--amount", "500000", "--cause", cause,
        "--paid", "2025-06-30", "--decided", "2026-03-31", *extra,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["start"] == start


def test_refund_interest_json_and_claim_exclusion():
    result = run(
        "refund-interest", "--amount", "500000", "--cause", "reassessment",
        "--paid", "2025-06-30", "--decided", "2026-03-31",
    )  # fmt: skip
    payload = json.loads(result.stdout)
    assert payload["refund_interest"] == 3800
    assert [s["rate"] for s in payload["segments"]] == ["0.9", "1.3"]
    excluded = run(
        "refund-interest", "--amount", "500000", "--cause", "reassessment",
        "--paid", "2025-06-30", "--decided", "2026-03-31",
        "--claim-notice", "2026-02-02", "--claimed", "2026-03-20",
    )  # fmt: skip
    assert json.loads(excluded.stdout)["excluded_days"] == 16


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        pytest.param(
            ["late-fee", "--due", "2025-06-30", "--paid", "2026-01-01"], "--tax is required", id="missing-tax"
        ),
        pytest.param(
            ["late-fee", "--tax", "abc", "--due", "2025-06-30", "--paid", "2026-01-01"], "--tax", id="bad-yen"
        ),
        pytest.param(
            ["late-fee", "--tax", "1000", "--due", "2025-13-01", "--paid", "2026-01-01"],
            "--due",
            id="bad-date",
        ),
        pytest.param(
            ["late-fee", "--tax", "1000", "--due", "2025-06-30", "--paid", "2091-01-01"],
            "2091",
            id="F3-year-2091",
        ),
        pytest.param(
            ["late-fee", "--tax", "1000", "--due", "2025-06-30", "--paid", "2024-07-10"],
            "before",
            id="F4-paid-before-due",
        ),
        pytest.param(
            [
                "late-fee",
                "--tax",
                "1000",
                "--due",
                "2025-06-30",
                "--paid",
                "2026-01-01",
                "--payment",
                "2025-08-01",
            ],
            "--payment",
            id="payment-without-amount",
        ),
        pytest.param(
            [
                "late-fee",
                "--tax",
                "1000",
                "--due",
                "2025-06-30",
                "--paid",
                "2026-01-01",
                "--deferral",
                "2025-08-01:2025-09-01:x",
            ],
            "--deferral",
            id="bad-deferral-kind",
        ),
        pytest.param(
            ["refund-interest", "--amount", "1000", "--paid", "2025-06-30", "--decided", "2026-01-01"],
            "--cause is required",
            id="cause-required-F1",
        ),
        pytest.param(
            [
                "refund-interest",
                "--amount",
                "1000",
                "--cause",
                "other",
                "--paid",
                "2025-06-30",
                "--decided",
                "2026-01-01",
            ],
            "--cause must be one of",
            id="unknown-cause",
        ),
        pytest.param(
            [
                "refund-interest",
                "--amount",
                "1000",
                "--cause",
                "national-tax-change",
                "--paid",
                "2025-06-30",
                "--decided",
                "2026-01-01",
            ],
            "notified_on",
            id="national-tax-change-needs-notice",
        ),
    ],
)
def test_bad_input_exits_2_with_one_line(args, fragment):
    result = run(*args)
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert fragment in lines[0]
