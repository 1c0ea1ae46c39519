"""収納訂正 screens in process (the stand-in answers like receipts, separation of duties included):
the tab and menu per role, finding the receipt by 通知書番号, the proposal refused per field in
Japanese then done, approval by another user, the proposer refused (決裁できません), refusal with a
note, and no call to receipts when the console itself refuses."""

from __future__ import annotations

import pytest
from osame_console.domain.errors import CORRECTION_SEPARATION, Outcome, field_errors, map_upstream
from osame_console.entrypoints.web import SESSION_COOKIE


def signed_in(h, user: str = "shuno01") -> str:
    response = h.sign_in(user)
    assert response.status_code == 200, response.text
    return h.client.get("/receipts/corrections").text


def switch_user(h, user: str) -> str:
    h.client.cookies.delete(SESSION_COOKIE)
    return signed_in(h, user)


def propose(h, page: str, **form) -> object:
    data = {"csrf_token": h.csrf(page), "receipt_id": "rc-0100", **form}
    return h.client.post("/receipts/corrections", data=data)


def test_the_tab_and_the_pages_follow_the_roles(make_harness):
    h = make_harness()
    page = signed_in(h)
    assert 'data-tab="corrections"' in page and 'id="new-correction"' in page
    switch_user(h, "tainou01")  # 滞納整理担当: nothing of receipts
    calls = len(h.upstream.calls)
    for path in ("/receipts/corrections", "/receipts/corrections/new?notice_number=R8-000001"):
        response = h.client.get(path)
        assert response.status_code == 403 and "権限がありません" in response.text, path
    home = h.client.get("/").text
    posted = h.client.post("/receipts/corrections/co-0001/approve", data={"csrf_token": h.csrf(home)})
    assert posted.status_code == 403 and "権限がありません" in posted.text
    assert len(h.upstream.calls) == calls  # refused by the console itself


def test_a_reader_sees_the_list_but_neither_proposes_nor_decides_without_a_call(make_harness):
    reader = {"receipts_staff": ["receipts:correction.read"]}  # shuno01's role, narrowed
    h = make_harness(console_roles=reader, service_roles=reader)
    h.upstream.corrections["co-0009"] = {
        "correction_id": "co-0009", "receipt_id": "rc-0100", "channel": "counter", "notice_number": "R8-000001",
        "installment_no": 1, "amount": 30000, "paid_on": "2026-07-01", "booked_on": "2026-07-02",
        "kind": "reverse", "target_notice_number": None, "target_installment_no": None, "reason": "二重入力",
        "status": "pending", "proposed_by": "shuno02", "proposed_on": "2026-07-10",
        "decided_by": None, "decided_on": None, "decision_note": None,
    }  # fmt: skip
    page = signed_in(h)
    assert 'data-correction="co-0009"' in page and "¥30,000" in page
    assert 'id="new-correction"' not in page and 'data-approve="co-0009"' not in page
    calls = len(h.upstream.calls)
    assert h.client.get("/receipts/corrections/new?receipt_id=rc-0100").status_code == 403
    token = {"csrf_token": h.csrf(page)}
    for path in (
        "/receipts/corrections",
        "/receipts/corrections/co-0009/approve",
        "/receipts/corrections/co-0009/reject",
    ):
        response = h.client.post(
            path, data={**token, "receipt_id": "rc-0100", "kind": "reverse", "reason": "x"}
        )
        assert response.status_code == 403 and "権限がありません" in response.text, path
    assert len(h.upstream.calls) == calls
    assert h.upstream.corrections["co-0009"]["status"] == "pending"


@pytest.mark.parametrize(
    ("code", "field", "message"),
    [
        ("reason: a correction needs a reason", "reason", "訂正の理由を入力してください"),
        ("reason: at most 200 characters", "reason", "訂正の理由は200文字以内で入力してください"),
        ("kind: must be reverse or move", "kind", "種別（取消・移動）を選んでください"),
        ("notice_number: a move needs the target 通知書番号 and 期別", "notice_number", "通知書番号（移動先）と期別を入力してください"),
        ("notice_number: no such 通知書番号 × 期別 in the ledger", "notice_number", "通知書番号と期別の組み合わせが調定にありません"),
        ("notice_number: the target is the installment the receipt is already on", "notice_number", "通知書番号が訂正前と同じ通知書・期別です。移動先を確認してください"),
        ("receipt_id: only a final receipt can be corrected (this one is reversed)", "receipt_id", "訂正する収納は確定した収納ではありません（取消済み・速報は訂正できません）"),
        ("receipt_id: an unmatched receipt is assigned from the unmatched list", "receipt_id", "訂正する収納は未消込です。未消込の画面から通知書・期別を割り当ててください"),
        ("receipt_id: a 証券 receipt is reversed by 不渡 (POST /api/securities/{id}/dishonour)", "receipt_id", "訂正する収納は証券による収納です。不渡の処理で取り消してください"),
    ],
)  # fmt: skip
def test_receipts_refusals_name_the_field_in_japanese(code, field, message):
    assert field_errors(code) == {field: message}
    error = map_upstream(422, code)
    assert error.outcome is Outcome.INVALID and error.fields == {field: message}


def test_the_proposer_refused_as_approver_and_decided_twice_read_in_japanese():
    refused = map_upstream(422, CORRECTION_SEPARATION)
    assert (refused.status, refused.title) == (403, "決裁できません")
    assert "訂正を起案した職員は、同じ訂正を承認・却下できません" in refused.message
    again = map_upstream(409, "the correction is already approved")
    assert again.outcome is Outcome.CONFLICT and "すでに承認されています" in again.message
    pending = map_upstream(409, "receipt_id: a correction of this receipt is already pending")
    assert "すでに承認待ちの訂正があります" in pending.message


def test_find_the_receipt_then_propose_refused_per_field_then_done(make_harness):
    h = make_harness()
    signed_in(h)
    calls = len(h.upstream.calls)
    blank = h.client.get("/receipts/corrections/new?notice_number=")
    assert blank.status_code == 422 and "通知書番号を入力してください" in blank.text
    assert len(h.upstream.calls) == calls
    found = h.client.get("/receipts/corrections/new?notice_number=R8-000001").text
    assert h.upstream.calls[-1]["query"] == "notice_number=R8-000001"
    assert 'data-correct="rc-0100"' in found and 'data-correct="rc-0101"' not in found  # reversed: no link
    page = h.client.get("/receipts/corrections/new?receipt_id=rc-0100").text
    assert 'id="receipt-amount">¥30,000' in page and 'name="reason"' in page

    calls = len(h.upstream.calls)
    typed = propose(h, page, kind="move", reason="", installment_no="x")
    assert typed.status_code == 422
    for message in (
        "訂正の理由を入力してください",
        "移動先の通知書番号を入力してください",
        "期別は1以上の半角数字",
    ):
        assert message in typed.text
    assert [c["path"] for c in h.upstream.calls[calls:]] == [
        "/api/receipts/rc-0100"
    ]  # the receipt, no proposal
    unknown = propose(
        h, page, kind="move", reason="窓口で番号を誤入力", notice_number="R8-000009", installment_no="１"
    )
    assert unknown.status_code == 422 and "通知書番号と期別の組み合わせが調定にありません" in unknown.text
    assert '"installment_no":1' in h.upstream.calls[-1]["body"]
    done = propose(
        h, page, kind="move", reason="窓口で番号を誤入力", notice_number="R8-000002", installment_no="1"
    )
    assert done.status_code == 200 and "訂正を起案しました" in done.text
    assert 'data-correction="co-0001"' in done.text and "移動 → R8-000002 第1期" in done.text
    again = propose(h, page, kind="reverse", reason="二重")
    assert again.status_code == 409 and "すでに承認待ちの訂正があります" in again.text


def test_the_proposer_is_refused_another_user_approves(make_harness):
    h = make_harness()
    page = signed_in(h)
    form = h.client.get("/receipts/corrections/new?receipt_id=rc-0100").text
    assert propose(h, form, kind="reverse", reason="二重入力").status_code == 200
    page = h.client.get("/receipts/corrections").text
    refused = h.client.post("/receipts/corrections/co-0001/approve", data={"csrf_token": h.csrf(page)})
    assert refused.status_code == 403 and "決裁できません" in refused.text
    assert "訂正を起案した職員は、同じ訂正を承認・却下できません" in refused.text
    assert h.upstream.corrections["co-0001"]["status"] == "pending"

    page = switch_user(h, "shuno02")
    assert 'data-approve="co-0001"' in page
    done = h.client.post("/receipts/corrections/co-0001/approve", data={"csrf_token": h.csrf(page)})
    assert done.status_code == 200 and "訂正を承認しました" in done.text
    assert h.upstream.calls[-2]["user"] == "shuno02" and h.upstream.calls[-2]["body"] == "{}"
    assert 'data-status="approved"' in done.text and "shuno02" in done.text
    twice = h.client.post("/receipts/corrections/co-0001/approve", data={"csrf_token": h.csrf(page)})
    assert twice.status_code == 409 and "すでに承認されています" in twice.text


def test_another_user_refuses_with_a_note(make_harness):
    h = make_harness()
    signed_in(h)
    form = h.client.get("/receipts/corrections/new?receipt_id=rc-0100").text
    assert propose(h, form, kind="reverse", reason="二重入力").status_code == 200
    page = switch_user(h, "shuno02")
    calls = len(h.upstream.calls)
    long = h.client.post(
        "/receipts/corrections/co-0001/reject", data={"csrf_token": h.csrf(page), "note": "x" * 201}
    )
    assert long.status_code == 422 and "却下の理由は200文字以内" in long.text
    assert "/api/corrections/co-0001/reject" not in [c["path"] for c in h.upstream.calls[calls:]]
    done = h.client.post(
        "/receipts/corrections/co-0001/reject", data={"csrf_token": h.csrf(page), "note": "入金を確認済み"}
    )
    assert (
        done.status_code == 200
        and "訂正を却下しました" in done.text
        and "却下の理由: 入金を確認済み" in done.text
    )
    assert h.client.get("/receipts/corrections?status=lost").status_code == 422
