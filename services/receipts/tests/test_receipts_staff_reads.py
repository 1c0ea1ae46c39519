# ruff: noqa: F811  (pytest fixtures imported from the sibling modules)
"""The staff screens' reads (entrypoints/http_reads.py): the unmatched list searched and paged by the
server with its total, one unmatched receipt, one held item, the receipts of a 通知書番号, 収納訂正 by
status — each under receipts' own permission, each refusal naming the field."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from osame_receipts.adapters import normalized

from .test_receipts_corrections import _pay, _setup, staff  # noqa: F401 (fixtures)
from .test_receipts_http import _assess, api, app, issuer  # noqa: F401 (fixtures)

D = dt.date


async def _unmatched(api, key: str, notice: str, paid_on: str) -> str:
    r = await api.post(
        "/api/counter-payments",
        json={
            "receipt_no": key,
            "notice_number": notice,
            "installment_no": 1,
            "amount": 500,
            "paid_on": paid_on,
        },
    )
    assert r.status_code == 202, r.text
    return r.json()["receipt_id"]


async def test_unmatched_is_searched_and_paged_by_the_server(service, api):
    service.runtime.settings.business_date = D(2026, 6, 1)
    first = await _unmatched(api, "W-1", "9001", "2026-05-20")
    second = await _unmatched(api, "W-2", "9002", "2026-05-25")
    third = await _unmatched(api, "W-3", "9001", "2026-05-28")

    def ids(answer):
        return [i["receipt_id"] for i in answer.json()["items"]]

    everything = await api.get("/api/unmatched")
    assert everything.json()["total"] == 3 and ids(everything) == [first, second, third]  # oldest first
    assert ids(await api.get("/api/unmatched?notice_number=9001")) == [first, third]
    assert ids(await api.get("/api/unmatched?paid_from=2026-05-21&paid_to=2026-05-27")) == [second]
    assert ids(await api.get("/api/unmatched?channel=counter&notice_number=9002")) == [second]
    assert ids(await api.get("/api/unmatched?channel=mpn")) == []
    page = (await api.get("/api/unmatched?limit=1&offset=1")).json()
    assert (page["total"], [i["receipt_id"] for i in page["items"]]) == (3, [second])

    one = await api.get(f"/api/unmatched/{second}")
    assert one.status_code == 200 and (one.json()["notice_number"], one.json()["amount"]) == ("9002", 500)
    assert "raw_record" not in one.json()
    missing = await api.get("/api/unmatched/no-such")
    assert (missing.status_code, missing.json()["error"]) == (404, "no unmatched receipt with this id")


@pytest.mark.parametrize(
    ("query", "error"),
    [
        pytest.param("paid_from=2026-13-01", "paid_from must be an ISO date", id="date"),
        pytest.param("limit=-1", "limit must be a non-negative integer", id="limit"),
        pytest.param("notice_number=%E5%B1%B1", "notice_number is not in its format", id="notice"),
        pytest.param("channel=Bank", "channel is not in its format", id="channel"),
    ],
)
async def test_a_malformed_search_term_is_named(api, query, error):
    refused = await api.get(f"/api/unmatched?{query}")
    assert (refused.status_code, refused.json()["error"]) == (422, error)


async def test_one_held_item_is_read_by_its_id(service, api):
    await _assess(service, "1001", 2026)
    rows = [["9999", "001", "2", "1001", "1", "5800", "20260520", "20260521"]]  # unknown bank code
    assert (
        await api.post("/api/imports/ocr?file=ocr.csv", content=normalized.write("ocr", rows))
    ).status_code == 200
    [item] = (await api.get("/api/suspense")).json()["items"]
    one = await api.get(f"/api/suspense/{item['suspense_id']}")
    assert one.status_code == 200 and (one.json()["amount"], one.json()["status"]) == (5_800, "held")
    assert (await api.get("/api/suspense/nope")).status_code == 404


async def test_receipts_of_a_notice_and_corrections_by_status(service, staff, issuer, app):
    cashier, supervisor = staff
    await _setup(service)
    kept = await _pay(cashier, "1001", 4_000, key="W-1")
    wrong = await _pay(cashier, "1001", 6_000, key="W-2")
    listed = (await cashier.get("/api/receipts?notice_number=1001")).json()["items"]
    assert [(r["receipt_id"], r["state"], r["matched"]) for r in listed] == [
        (kept, "final", True),
        (wrong, "final", True),
    ]
    assert (await cashier.get("/api/receipts")).json()["error"] == "notice_number is required"
    assert (await cashier.get(f"/api/receipts/{wrong}")).json()["amount"] == 6_000

    def propose(receipt_id):
        return cashier.post(
            "/api/corrections", json={"receipt_id": receipt_id, "kind": "reverse", "reason": "二重入力"}
        )

    approve = (await propose(wrong)).json()["correction_id"]
    reject = (await propose(kept)).json()["correction_id"]
    pending = (await supervisor.get("/api/corrections")).json()
    assert pending["total"] == 2 and [i["correction_id"] for i in pending["items"]] == [approve, reject]
    assert (await supervisor.post(f"/api/corrections/{approve}/approve")).status_code == 200
    assert (
        await supervisor.post(f"/api/corrections/{reject}/reject", json={"note": "入金あり"})
    ).status_code == 200

    [approved] = (await cashier.get("/api/corrections?status=approved")).json()["items"]
    assert (approved["correction_id"], approved["proposed_by"], approved["decided_by"]) == (
        approve,
        "cashier-1",
        "supervisor-2",
    )
    [rejected] = (await cashier.get("/api/corrections?status=rejected")).json()["items"]
    assert (rejected["decision_note"], rejected["amount"]) == ("入金あり", 4_000)
    assert (await cashier.get("/api/corrections")).json() == {
        "total": 0,
        "limit": 500,
        "offset": 0,
        "items": [],
    }
    assert (await cashier.get("/api/corrections?status=all")).json()["total"] == 2
    assert (await cashier.get("/api/corrections?status=lost")).status_code == 422
    assert (await cashier.get(f"/api/receipts/{wrong}")).json()["state"] == "reversed"

    clerk = {"Authorization": f"Bearer {issuer.token('clerk-1', ['collection_staff'])}"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://receipts") as other:
        for path in (
            "/api/corrections",
            f"/api/receipts/{kept}",
            f"/api/unmatched/{kept}",
            "/api/suspense/x",
        ):
            assert (await other.get(path, headers=clerk)).status_code == 403, path
