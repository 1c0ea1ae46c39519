"""End to end (issue #5 Done-when): a 住基 転居 reaches collection's next 督促 address — the five
services as processes, the real broker, the operator CLI (`osame collection batch` / `letters`) and the
print-vendor file `letters.csv`, on a fixed business date (OSAME_BUSINESS_DATE).

- 転居: registered at X, moved to Y before the batch → the 督促状 row carries Y, never X;
- 送付先: an override for the 税目 → the row carries the 送付先 and its recipient (via_override = 1);
- 支援措置: the protected person's letter is withheld and their address is nowhere in the file;
- 名寄せ: a 住登外者 (land owner, old address elsewhere) later moves in with the same 個人番号 →
  address-sync merges the two records (AddresseesMerged) before the ledger reaches collection →
  the 住登外者's 督促 is one letter, to the survivor's address, under the survivor's 宛名番号.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import json
import uuid

import httpx
import pytest
from osame_cli.bus import delete_namespace
from osame_cli.city import sealed_number
from osame_cli.collection_cli import collection_app
from osame_cli.pgadmin import create_databases, drop_databases
from osame_cli.settle import wait_settled
from osame_cli.stack import Stack
from osame_contracts.messages import address_sync as msgs
from osame_contracts.messages import taxation
from typer.testing import CliRunner

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

BUSINESS_DATE = dt.date(2026, 7, 15)  # the batch runs "today": every installment below is past due
TAKAOKA = "162027"
MY_NUMBER = "123456789018"  # invented, passes the check digit

MOVER, OVERRIDDEN, PROTECTED, SURVIVOR, MERGED = "520001", "520002", "520003", "520004", "520005"
X, Y = "富山県高岡市旧居町1番1号", "富山県高岡市新居町9番9号"
OVERRIDE_TO = "東京都千代田区送付先町3番3号"
HIDDEN = "富山県高岡市秘匿町7番7号"
HOME, OLD = "富山県高岡市帰郷町4番4号", "東京都港区旧宅町5番5号"


@pytest.fixture(scope="module")
def letters_stack(amqp_url, pg_server_url, tmp_path_factory):
    run = uuid.uuid4().hex[:8]
    prefix = f"e2e-letters-{run}."
    name = f"osame_e2e_letters_{run}"
    [url] = asyncio.run(create_databases(pg_server_url, [name])).values()
    work = tmp_path_factory.mktemp("e2e-letters")
    stack = Stack(
        amqp_url=amqp_url,
        prefix=prefix,
        work_dir=work,
        database_urls={"collection": url},  # collection on PostgreSQL as in production; the rest SQLite
        extra_env={"OSAME_BUSINESS_DATE": BUSINESS_DATE.isoformat()},
        dev_wiring=True,  # token issuer + 個人番号 key
    )
    stack.start(timeout=180)
    stack.work = work
    yield stack
    codes = stack.stop()

    async def cleanup():
        await delete_namespace(amqp_url, prefix)
        await drop_databases(pg_server_url, [name])

    asyncio.run(cleanup())
    assert codes == dict.fromkeys(stack.services, 0), f"graceful shutdown failed: {codes}"


def address(printed, postal_code):
    return msgs.StructuredAddress(municipality_code=TAKAOKA, postal_code=postal_code, printed=printed)


def change(addressee_id, sequence, kind, on, **fields):
    if "my_number" in fields:  # 住基 seals it to address-sync's (the local stack's demo) transport key
        fields["my_number"] = sealed_number(
            fields["my_number"], msgs.RecordResidentChange.routing_key, addressee_id
        )
    return msgs.RecordResidentChange(
        change_id=f"e2e-l-{addressee_id}-{sequence}",
        addressee_id=addressee_id,
        sequence=sequence,
        change_kind=kind,
        changed_on=dt.date.fromisoformat(on),
        notified_on=dt.date.fromisoformat(on),
        fields=fields,
    )


def moved_in(addressee_id, name, printed, postal_code, on="2026-04-01", **fields):
    return change(addressee_id, 1, "moved_in", on, name=name, address=address(printed, postal_code), **fields)


def assessed(addressee_id, notice, tax_item=taxation.TaxItem.RESIDENT_TAX):
    return taxation.AssessmentRegistered(
        addressee_id=addressee_id,
        notice_number=notice,
        fiscal_year=2026,
        tax_year=2026,
        tax_item=tax_item,
        revision=1,
        assessed_on=dt.date(2026, 6, 1),
        installments=[
            taxation.AssessedInstallment(
                installment_no=1, principal_tax=30_000, due_date=dt.date(2026, 6, 30)
            )
        ],
    )


def operator(stack, *args) -> str:
    """`osame collection …` against the running service, as an operator would run it."""
    token = stack.staff_token("operator-e2e", ["collection_staff"])
    url = stack.services["collection"].url
    result = CliRunner().invoke(collection_app, [*args, "--url", url, "--token", token])
    assert result.exit_code == 0, result.output
    return result.stdout


async def test_a_move_an_override_protection_and_a_merge_reach_the_next_demand_letters(letters_stack):
    stack = letters_stack
    async with stack.bus() as bus:
        # 住基 / 宛名管理 first: the 名寄せ reaches collection before the merged record's ledger does.
        await bus.send(moved_in(MOVER, "転居 一郎", X, "933-0201"))
        await bus.send(
            change(MOVER, 2, "moved_within", "2026-06-01", address=address(Y, "933-0209"))  # 転居 X → Y
        )
        await bus.send(moved_in(OVERRIDDEN, "送付 二郎", "富山県高岡市本丸町2番2号", "933-0202"))
        await bus.send(
            msgs.SetMailingOverride(
                addressee_id=OVERRIDDEN,
                tax_item="resident_tax",
                revision=1,
                recipient="納税管理人 代理 花子",
                address=msgs.StructuredAddress(postal_code="100-0001", printed=OVERRIDE_TO),
            )
        )
        await bus.send(
            msgs.SetProtection(
                addressee_id=PROTECTED, revision=1, protected=True, effective_on=dt.date(2026, 3, 1)
            )
        )
        await bus.send(moved_in(PROTECTED, "保護 三子", HIDDEN, "933-0203"))
        await bus.send(
            msgs.RegisterNonResident(
                addressee_id=MERGED,
                version=1,
                name="帰郷 四郎",
                name_kana="キキョウ シロウ",
                address=msgs.StructuredAddress(postal_code="105-0001", printed=OLD),
                my_number=sealed_number(MY_NUMBER, msgs.RegisterNonResident.routing_key, MERGED),
            )
        )
        await wait_settled(stack, bus, lambda s: s["collection"]["addressees"] == 4, timeout=120)
        # the land owner moves into the city: same 個人番号 → 同一人 → merged into the resident record
        await bus.send(
            moved_in(SURVIVOR, "帰郷 四郎", HOME, "933-0204", on="2026-05-01", my_number=MY_NUMBER)
        )
        await wait_settled(
            stack,
            bus,
            lambda s: s["collection"]["addressee_merges"] == 1 and s["receipts"]["addressee_merges"] == 1,
            timeout=120,
        )
        # then the 税務システム's assessments (固定資産税 for the land owner's 住登外 record)
        for addressee_id, notice in ((MOVER, "E2E-L-1"), (OVERRIDDEN, "E2E-L-2"), (PROTECTED, "E2E-L-3")):
            await bus.send(assessed(addressee_id, notice))
        await bus.send(assessed(MERGED, "E2E-L-5", taxation.TaxItem.FIXED_ASSET_TAX))
        await wait_settled(stack, bus, lambda s: s["collection"]["installments"] == 4, timeout=120)

    summary = json.loads(
        await asyncio.to_thread(operator, stack, "batch", "--date", BUSINESS_DATE.isoformat())
    )
    assert summary["demand_notices"] == 4, summary
    batch_id = summary["batch_id"]
    out = stack.work / "print"
    await asyncio.to_thread(operator, stack, "letters", batch_id, "--out", str(out))
    text = (out / "letters.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    letters = {r["notice_number"]: r for r in rows}

    # 転居: the new address, never the old one
    assert (letters["E2E-L-1"]["addressee_id"], letters["E2E-L-1"]["address"]) == (MOVER, Y)
    assert letters["E2E-L-1"]["postal_code"] == "933-0209"
    assert X not in text
    # 送付先 for 市県民税
    override = letters["E2E-L-2"]
    assert (override["address"], override["recipient"], override["via_override"]) == (
        OVERRIDE_TO,
        "納税管理人 代理 花子",
        "1",
    )
    # 支援措置: withheld from the print file, the address disclosed nowhere
    assert "E2E-L-3" not in letters and HIDDEN not in text
    # 名寄せ: one letter for the merged record's 督促, to the survivor, under the survivor's 宛名番号
    merged_letters = [r for r in rows if r["notice_number"] == "E2E-L-5"]
    assert [(r["addressee_id"], r["recipient"], r["address"]) for r in merged_letters] == [
        (SURVIVOR, "帰郷 四郎", HOME)
    ]
    assert OLD not in text and MERGED not in {r["addressee_id"] for r in rows}
    assert len({r["letter_id"] for r in rows}) == 3

    # staff looking up the merged 宛名番号 are sent to the survivor's case, which holds its installment
    staff = {"Authorization": "Bearer " + stack.staff_token("staff-e2e", ["collection_staff"])}
    base = stack.services["collection"].url
    async with httpx.AsyncClient(base_url=base, headers=staff, timeout=30) as http:
        gone = await http.get(f"/cases/{MERGED}", params={"as_of": BUSINESS_DATE.isoformat()})
        case = await http.get(f"/cases/{SURVIVOR}", params={"as_of": BUSINESS_DATE.isoformat()})
    assert (gone.status_code, gone.json()) == (404, {"error": f"merged_into:{SURVIVOR}"})
    assert [u["notice_number"] for u in case.json()["unpaid"]] == ["E2E-L-5"]
