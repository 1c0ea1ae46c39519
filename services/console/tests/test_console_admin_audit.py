"""管理 for all five services: each one's chain check (`GET /audit/verify`, 409 = broken) and its
entries (`GET /audit`, paged), 未対応 for a service without the route (not an error), a panel per
permission; the nightly-run list (collection `GET /batches`) on 夜間バッチ and 管理; and the 未消込
list searched and paged by receipts, one item read by its id."""

from __future__ import annotations

from .conftest import SERVICES


def signed_in(h, user: str) -> None:
    assert h.sign_in(user).status_code == 200


def audit_harness(make_harness):
    # one stand-in host: receipts' and refunds' audit routes live under their own prefix
    return make_harness(receipts_url=f"{SERVICES}/receipts", refunds_url=f"{SERVICES}/refunds")


def test_the_auditor_sees_every_chain_and_missing_routes_as_unsupported(make_harness):
    h = audit_harness(make_harness)
    h.upstream.audit_verify["refunds"] = {"ok": False, "entries": 40, "first_broken_id": 17}
    signed_in(h, "kansa01")  # 監査担当: *:audit.read
    page = h.client.get("/admin")
    assert page.status_code == 200
    text = page.text
    for service in ("receipts", "refunds", "collection", "address-sync", "intermediate-server-gw", "console"):
        assert f'data-service="{service}"' in text, service
    assert 'data-chain="ok"' in text and "120 件" in text  # receipts
    assert 'data-chain="broken"' in text and "17 番目の記録から" in text  # refunds answered 409
    assert text.count('data-chain="unsupported"') == 2  # collection and address-sync: no such route here
    assert "一時的に利用できません" in text  # the gateway does not answer: its row says so, not the page
    assert "/receipts/audit/verify" in h.upstream.paths() and "/refunds/audit/verify" in h.upstream.paths()


def test_one_services_entries_are_paged_newest_first(make_harness):
    h = audit_harness(make_harness)
    signed_in(h, "kansa01")
    first = h.client.get("/admin/audit/receipts")
    assert (
        first.status_code == 200
        and "全 120 件（1 / 3 ページ" in first.text
        and 'data-chain="ok"' in first.text
    )
    assert h.upstream.calls[-2]["query"] == "page=3&per_page=50"  # the service's last page: the newest
    third = h.client.get("/admin/audit/receipts?page=3")
    assert h.upstream.calls[-2]["query"] == "page=1&per_page=50" and "3 / 3" in third.text
    unsupported = h.client.get("/admin/audit/collection").text
    assert 'data-trail="unsupported"' in unsupported and 'data-chain="unsupported"' in unsupported
    assert h.client.get("/admin/audit/nowhere").status_code == 404
    assert h.client.get("/admin/audit/receipts?page=0").status_code == 422


def test_each_panel_needs_its_own_permission_and_refusal_makes_no_call(make_harness):
    h = audit_harness(make_harness)
    signed_in(h, "shuno01")  # receipts:* grants receipts' trail only
    text = h.client.get("/admin").text
    assert 'data-service="receipts"' in text and 'data-service="refunds"' not in text
    assert 'data-service="collection"' not in text
    calls = len(h.upstream.calls)
    refused = h.client.get("/admin/audit/refunds")
    assert refused.status_code == 403 and "権限がありません" in refused.text
    assert len(h.upstream.calls) == calls


def test_the_nightly_runs_are_listed_on_the_batch_page_and_in_admin(make_harness):
    h = make_harness()
    signed_in(h, "tainou01")
    page = h.client.get("/batches")
    assert page.status_code == 200 and h.upstream.calls[-1]["path"] == "/batches"
    assert h.upstream.calls[-1]["query"] == "limit=20&offset=0"
    assert (
        'data-batch="0f0e0d0c-0000-4000-8000-000000000001"' in page.text and 'data-status="done"' in page.text
    )
    assert "令和8年7月9日" in page.text and "夜間バッチ" in page.text
    admin = h.client.get("/admin").text
    assert 'id="nightly-runs"' in admin and 'data-batch="0f0e0d0c-0000-4000-8000-000000000001"' in admin
    assert h.client.get("/batches?page=x").status_code == 422


def test_unmatched_is_searched_and_paged_by_receipts_and_one_item_read_by_id(make_harness):
    h = make_harness()
    signed_in(h, "shuno01")
    h.upstream.unmatched.update(
        {
            f"rc-{n:04d}": {**h.upstream.unmatched["rc-0001"], "receipt_id": f"rc-{n:04d}"}
            for n in range(2, 61)
        }
    )
    first = h.client.get("/receipts/unmatched?channel=bank_counter")
    assert h.upstream.calls[-1]["query"] == "limit=50&offset=0&channel=bank_counter"
    assert "検索結果 60 件（1 / 2 ページ）" in first.text and 'rel="next"' in first.text
    second = h.client.get("/receipts/unmatched?channel=bank_counter&page=2")
    assert h.upstream.calls[-1]["query"] == "limit=50&offset=50&channel=bank_counter"
    assert second.text.count("data-item=") == 10
    item = h.client.get("/receipts/unmatched/rc-0002")
    assert item.status_code == 200 and h.upstream.calls[-1]["path"] == "/api/unmatched/rc-0002"
    assert h.client.get("/receipts/suspense/sp-0001").status_code == 200
    assert h.upstream.calls[-1]["path"] == "/api/suspense/sp-0001"
    h.upstream.suspense["sp-0001"]["status"] = "resolved"
    gone = h.client.get("/receipts/suspense/sp-0001")
    assert gone.status_code == 404 and "すでに処理済みか" in gone.text
