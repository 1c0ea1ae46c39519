"""還付・充当 screens in process (the stand-in answers like refunds, separation of duties included):
the menu per role, the paged queues, 起案 then 決裁 by another user, the same user refused with a
Japanese message, the explanations (segments, 和暦 with the Western date on hover, ¥), the downloads,
and no call to refunds when the console itself refuses."""

from __future__ import annotations

import re

from osame_console.domain.errors import SEPARATION_OF_DUTIES, map_upstream
from osame_console.entrypoints.web import SESSION_COOKIE


def signed_in(h, user: str) -> str:
    response = h.sign_in(user)
    assert response.status_code == 200, response.text
    return h.client.get("/refunds").text


def switch_user(h, user: str) -> str:
    h.client.cookies.delete(SESSION_COOKIE)
    return signed_in(h, user)


def test_the_menu_entry_follows_the_roles(make_harness):
    h = make_harness()
    h.sign_in("kanpu01")
    assert 'data-menu="refunds"' in h.client.get("/").text
    switch_user(h, "tainou01")
    assert 'data-menu="refunds"' not in h.client.get("/").text
    calls = len(h.upstream.calls)
    response = h.client.get("/refunds")
    assert response.status_code == 403 and "権限がありません" in response.text
    assert len(h.upstream.calls) == calls  # refused by the console: no call


def test_a_cashier_sees_the_queues_but_no_prepare_or_approve_and_is_refused_without_a_call(make_harness):
    h = make_harness()
    page = signed_in(h, "shuno01")  # 収納担当 (receipts_staff): reads only
    assert 'data-view="to_prepare"' in page and 'data-view="payouts"' not in page
    assert "rf-0001" in page
    refund = h.client.get("/refunds/rf-0001").text
    assert 'id="prepare"' not in refund and 'id="approve"' not in refund and "notice.pdf" not in refund
    calls = len(h.upstream.calls)
    posted = h.client.post("/refunds/rf-0001/prepare", data={"csrf_token": h.csrf(refund)})
    assert posted.status_code == 403 and "権限がありません" in posted.text
    for path in ("/refunds?view=payouts", "/refunds/payouts/pb-0001/file", "/refunds/rf-0001/notice.pdf"):
        assert h.client.get(path).status_code == 403, path
    assert len(h.upstream.calls) == calls
    assert h.upstream.refunds["rf-0001"]["prepared_by"] is None


def test_prepare_then_approve_by_another_user(make_harness):
    h = make_harness()
    page = signed_in(h, "kanpu01")
    assert 'href="/refunds/rf-0001"' in page
    refund = h.client.get("/refunds/rf-0001").text
    assert 'id="prepare"' in refund and 'id="approve"' not in refund
    done = h.client.post("/refunds/rf-0001/prepare", data={"csrf_token": h.csrf(refund)})
    assert done.status_code == 200 and "起案しました" in done.text and 'id="prepared-by">kanpu01' in done.text
    assert h.upstream.calls[-2]["path"] == "/refunds/rf-0001/prepare"
    assert h.upstream.calls[-2]["user"] == "kanpu01" and h.upstream.calls[-2]["body"] == "{}"

    switch_user(h, "kanpu02")
    queue = h.client.get("/refunds?view=to_approve").text
    assert 'data-refund="rf-0001"' in queue
    refund = h.client.get("/refunds/rf-0001").text
    assert 'id="approve"' in refund
    done = h.client.post("/refunds/rf-0001/approve", data={"csrf_token": h.csrf(refund)})
    assert done.status_code == 200 and "決裁しました" in done.text
    assert 'id="approved-by">kanpu02' in done.text and "¥5,200" in done.text
    assert 'href="/refunds/rf-0001/notice.pdf"' in done.text
    # No date travels from the browser: the 支出決定日 is refunds' business date.
    assert h.upstream.calls[-2]["body"] == "{}"


def test_the_preparer_is_refused_the_approval_with_a_clear_message(make_harness):
    h = make_harness()
    signed_in(h, "kanpu01")
    refund = h.client.get("/refunds/rf-0001").text
    h.client.post("/refunds/rf-0001/prepare", data={"csrf_token": h.csrf(refund)})
    refund = h.client.get("/refunds/rf-0001").text
    assert 'id="approve"' in refund  # the console lets refunds decide: it holds the rule
    refused = h.client.post("/refunds/rf-0001/approve", data={"csrf_token": h.csrf(refund)})
    assert refused.status_code == 403
    assert "決裁できません" in refused.text
    assert "起案した職員は同じ還付を決裁できません" in refused.text
    assert SEPARATION_OF_DUTIES not in refused.text  # the service's sentence is not shown
    assert h.upstream.refunds["rf-0001"]["status"] == "pending_approval"


def test_a_refund_someone_else_decided_is_a_conflict_in_japanese(make_harness):
    h = make_harness()
    h.upstream.refunds["rf-0001"].update(status="approved", prepared_by="a", approved_by="b")
    signed_in(h, "kanpu01")
    refund = h.client.get("/refunds/rf-0001").text
    assert 'id="prepare"' not in refund
    response = h.client.post("/refunds/rf-0001/prepare", data={"csrf_token": h.csrf(refund)})
    assert response.status_code == 409 and "すでに決裁待ちではありません" in response.text


def test_the_queues_are_paged(make_harness):
    h = make_harness()
    template = h.upstream.refunds["rf-0001"]
    h.upstream.refunds.update({f"rf-{n:04d}": {**template, "refund_id": f"rf-{n:04d}"} for n in range(2, 26)})
    first = signed_in(h, "kanpu01")
    assert first.count("data-refund=") == 20 and 'id="next-page"' in first
    assert h.upstream.calls[-1]["query"] == "stage=to_prepare&limit=21&offset=0"
    second = h.client.get("/refunds?view=to_prepare&page=1").text
    assert second.count("data-refund=") == 5 and 'id="next-page"' not in second and 'rel="prev"' in second
    assert h.upstream.calls[-1]["query"] == "stage=to_prepare&limit=21&offset=20"
    calls = len(h.upstream.calls)
    for bad in ("page=x", "page=-1", "view=nothing"):
        response = h.client.get(f"/refunds?{bad}")
        assert response.status_code == 422 and "入力内容を確認してください" in response.text, bad
    assert len(h.upstream.calls) == calls


def test_each_interest_part_and_appropriation_opens_its_explanation(make_harness):
    h = make_harness()
    signed_in(h, "kanpu01")
    page = h.client.get("/refunds/overpayments/op-0001").text
    # 充当: its items, 令6条の14 date, 充当適状日, legal basis and the 充当通知書.
    appropriation = page.split('id="appropriation-ap-0001"')[1].split("</details>\n</details>")[0]
    assert "充当 ¥30,000" in appropriation and "K8-000001" in appropriation and "本税" in appropriation
    assert '<time datetime="2026-07-01" title="2026-07-01">令和8年7月1日</time>' in appropriation
    assert "地方税法17条の2①" in appropriation
    assert "充当適状日の古い期別から、督促手数料 → 本税 → 延滞金" in appropriation
    assert 'href="/refunds/appropriations/ap-0001/notice.pdf"' in appropriation
    # 還付加算金: from, to, days, rate, base, yen and the legal basis.
    part = page.split('id="overpayment-interest-1"')[1].split("</details>")[0]
    assert "還付加算金 ¥5,200" in part
    assert '<time datetime="2026-08-01" title="2026-08-01">令和8年8月1日</time>' in part
    assert '<time datetime="2026-11-30" title="2026-11-30">令和8年11月30日</time>' in part
    assert "122日" in part and "1.3%" in part and "¥1,200,000" in part and "¥5,214" in part
    assert "地方税法17条の4①四" in part
    assert "期間ごとの計 ¥5,214 → 還付加算金 ¥5,200" in part  # the rounding is explained too
    missing = h.client.get("/refunds/overpayments/op-9999")
    assert missing.status_code == 404 and "この過誤納金は見つかりません" in missing.text


def test_the_notices_and_the_payout_file_download(make_harness):
    h = make_harness()
    h.upstream.refunds["rf-0001"].update(status="approved", decided_on="2026-07-10", prepared_by="a")
    signed_in(h, "kanpu01")
    payouts = h.client.get("/refunds?view=payouts").text
    assert 'href="/refunds/payouts/pb-0001/file"' in payouts and "振込口座の届出なし" in payouts
    file = h.client.get("/refunds/payouts/pb-0001/file")
    assert file.status_code == 200 and file.content == b"1210000000"
    assert file.headers["content-disposition"].startswith("attachment; filename*=UTF-8''")
    notice = h.client.get("/refunds/rf-0001/notice.pdf")
    assert notice.status_code == 200 and notice.headers["content-type"] == "application/pdf"
    assert h.client.get("/refunds/appropriations/ap-0001/notice.pdf").content.startswith(b"%PDF")
    assert [c["path"] for c in h.upstream.calls[-3:]] == [
        "/payouts/pb-0001/file",
        "/refunds/rf-0001/notice.pdf",
        "/appropriations/ap-0001/notice.pdf",
    ]
    calls = len(h.upstream.calls)
    assert h.client.get("/refunds/payouts/..%2Fx/file").status_code in (404, 422)
    assert h.client.get("/refunds/bad%20id").status_code == 422
    assert len(h.upstream.calls) == calls  # ids are checked before any call


def test_returned_transfers_are_listed(make_harness):
    h = make_harness()
    signed_in(h, "kanpu01")
    page = h.client.get("/refunds?view=returned")
    assert (
        page.status_code == 200
        and "振込不能（返却）" in page.text
        and "該当するものはありません" in page.text
    )
    assert h.upstream.calls[-1]["path"] == "/transfers/returned"
    assert re.search(r"limit=21&offset=0", h.upstream.calls[-1]["query"])


def test_refunds_error_codes_map_to_japanese():
    duty = map_upstream(403, SEPARATION_OF_DUTIES)
    assert duty.title == "決裁できません" and "起案した職員は" in duty.message
    assert map_upstream(403, "permission_denied").title == "権限がありません"
    assert (
        "まだ起案されていません"
        in map_upstream(409, "refund rf-1 has not been prepared (起案) yet; x").message
    )
    assert (
        "すでに決裁待ちではありません"
        in map_upstream(409, "refund rf-1 is paid, not pending approval").message
    )
    assert map_upstream(404, "unknown refund").message == "この還付は見つかりません。"
    assert "理由コード" in map_upstream(409, "something new").message


def test_the_appropriation_rule_is_shown_in_words():
    from osame_console.domain.vocabulary import appropriation_rule

    rule = "oldest_first;disposition_cost>demand_fee>principal_tax>additional_tax>late_fee"
    assert appropriation_rule(rule) == (
        "充当適状日の古い期別から、滞納処分費 → 督促手数料 → 本税 → 加算金 → 延滞金"
    )
    assert appropriation_rule("newest;x") == "newest、x"  # unknown parts as they are
    assert appropriation_rule(None) == "—"
