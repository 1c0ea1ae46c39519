"""`osame refunds …` (staff actions through the refunds service's HTTP API) and `osame money check`.

The commands talk to the running services (`--refunds-url`, `--receipts-url`); they never read a
service's database. Bank account details are sent in request bodies only, never in URLs.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import httpx
import typer
from osame_chassis.tls import http_verify_from_env

refunds_app = typer.Typer(
    help="還付・充当: approve refunds, build the 全銀 総合振込 payout file, record results.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
money_app = typer.Typer(
    help="Money conservation across receipts and refunds.", no_args_is_help=True, rich_markup_mode=None
)

REFUNDS = typer.Option(os.environ.get("OSAME_REFUNDS_URL", "http://127.0.0.1:8102"), "--refunds-url")
RECEIPTS = typer.Option(os.environ.get("OSAME_RECEIPTS_URL", "http://127.0.0.1:8101"), "--receipts-url")
TOKEN = typer.Option(os.environ.get("OSAME_TOKEN", ""), "--token", help="Bearer token (env OSAME_TOKEN)")


def _client(base: str, token: str) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=base, headers=headers, timeout=30, verify=http_verify_from_env())


def _call(response: httpx.Response) -> dict:
    if response.status_code >= 400:
        typer.echo(f"error {response.status_code}: {response.text}", err=True)
        raise typer.Exit(2)
    return response.json()


@refunds_app.command("list")
def list_refunds(
    addressee_id: str = typer.Option(None),
    stage: str = typer.Option(None, help="to_prepare | to_approve | to_pay"),
    url: str = REFUNDS,
    token: str = TOKEN,
) -> None:
    """Refund decisions (optionally of one person, or one stage) with their 還付加算金 explanation, as JSON."""
    with _client(url, token) as client:
        params = {k: v for k, v in {"addressee_id": addressee_id, "stage": stage}.items() if v}
        print(json.dumps(_call(client.get("/refunds", params=params)), ensure_ascii=False, indent=2))


@refunds_app.command("prepare")
def prepare(refund_id: str, url: str = REFUNDS, token: str = TOKEN) -> None:
    """起案: prepare REFUND_ID for approval by another staff member (you are the token's user)."""
    with _client(url, token) as client:
        print(json.dumps(_call(client.post(f"/refunds/{refund_id}/prepare")), ensure_ascii=False, indent=2))


@refunds_app.command("approve")
def approve(
    refund_id: str,
    decided_on: dt.datetime = typer.Option(
        None, formats=["%Y-%m-%d"], help="支出決定日 (default: the service's business date; never later)"
    ),
    url: str = REFUNDS,
    token: str = TOKEN,
) -> None:
    """決裁・支出決定 by someone other than the preparer: fix the 還付加算金 (a refund whose person owes
    something payable is appropriated instead)."""
    with _client(url, token) as client:
        body = {"decided_on": decided_on.date().isoformat()} if decided_on else {}
        print(
            json.dumps(
                _call(client.post(f"/refunds/{refund_id}/approve", json=body)), ensure_ascii=False, indent=2
            )
        )


@refunds_app.command("notice")
def notice(
    output: Path = typer.Option(..., "-o", help="Where to write the PDF"),
    refund_id: str = typer.Option(None, help="還付通知書 of this approved refund"),
    appropriation_id: str = typer.Option(None, help="充当通知書 of this applied 充当"),
    url: str = REFUNDS,
    token: str = TOKEN,
) -> None:
    """Download a 還付通知書 or 充当通知書 (PDF)."""
    if bool(refund_id) == bool(appropriation_id):
        typer.echo("give exactly one of --refund-id and --appropriation-id", err=True)
        raise typer.Exit(2)
    path = (
        f"/refunds/{refund_id}/notice.pdf" if refund_id else f"/appropriations/{appropriation_id}/notice.pdf"
    )
    with _client(url, token) as client:
        response = client.get(path)
        if response.status_code >= 400:
            _call(response)
        output.write_bytes(response.content)
    print(json.dumps({"file": str(output), "bytes": len(response.content)}))


@refunds_app.command("payout")
def payout(
    transfer_date: dt.datetime = typer.Option(..., formats=["%Y-%m-%d"]),
    approved_on: dt.datetime = typer.Option(..., formats=["%Y-%m-%d"]),
    output: Path = typer.Option(..., "-o", help="Where to write the 総合振込 file"),
    url: str = REFUNDS,
    token: str = TOKEN,
) -> None:
    """Build the 全銀 総合振込 (種別21) file for refunds approved on APPROVED_ON."""
    with _client(url, token) as client:
        body = {
            "transfer_date": transfer_date.date().isoformat(),
            "approved_on": approved_on.date().isoformat(),
        }
        result = _call(client.post("/payouts", json=body))
        if result["batch_id"]:
            content = client.get(f"/payouts/{result['batch_id']}/file")
            content.raise_for_status()
            output.write_bytes(content.content)
        print(
            json.dumps(
                {**result, "file": str(output) if result["batch_id"] else None}, ensure_ascii=False, indent=2
            )
        )


@refunds_app.command("transfer-result")
def transfer_result(
    refund_id: str,
    failed: bool = typer.Option(False, help="The transfer came back"),
    on: dt.datetime = typer.Option(..., formats=["%Y-%m-%d"]),
    reason: str = typer.Option("", help="e.g. account_closed"),
    url: str = REFUNDS,
    token: str = TOKEN,
) -> None:
    """Record the bank's result for one refund."""
    with _client(url, token) as client:
        body = {"ok": not failed, "on": on.date().isoformat(), "reason": reason}
        print(json.dumps(_call(client.post(f"/refunds/{refund_id}/transfer-result", json=body)), indent=2))


@money_app.command("check")
def money_check(
    addressee_id: str = typer.Option(None, help="One 宛名番号; default: the whole city"),
    receipts_url: str = RECEIPTS,
    refunds_url: str = REFUNDS,
    token: str = TOKEN,
) -> None:
    """Σ receipts = Σ applied + Σ refunded + Σ held (exit 1 when a yen is missing)."""
    from osame_refunds.domain.conservation import ReceiptsSide, RefundsSide, balance

    params = {"addressee_id": addressee_id} if addressee_id else {}
    with _client(receipts_url, token) as client:
        r = _call(client.get("/money", params=params))
    with _client(refunds_url, token) as client:
        f = _call(client.get("/money", params=params))
    result = balance(
        addressee_id or "*",
        ReceiptsSide(received=r["received"], applied=r["applied"], unmatched=r["unmatched"]),
        RefundsSide(
            refunded=f["refunded"] + f["forfeited"], held=f["held"], recovery=f.get("recovery_claims", 0)
        ),
    )
    print(
        json.dumps(
            {
                "addressee_id": result.addressee_id,
                "received": result.received,
                "accounted": result.accounted,
                "difference": result.difference,
                "ok": result.ok,
                "receipts": r,
                "refunds": f,
            },
            ensure_ascii=False,
            indent=2,
        )
    )
    raise typer.Exit(0 if result.ok else 1)
