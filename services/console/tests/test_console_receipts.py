"""収納 screens in process (the stand-in answers like receipts): the menu per role, an upload (plain
and htmx) to its result page, a refused file and a file imported before, the unmatched and
suspense lists with search and assignment (receipts' refusals shown per field in Japanese), 日計,
and no call to receipts when the console itself refuses."""

from __future__ import annotations

from osame_console.entrypoints.web import SESSION_COOKIE


def signed_in(h, user: str = "shuno01") -> str:
    response = h.sign_in(user)
    assert response.status_code == 200, response.text
    return h.client.get("/receipts").text


def upload(h, page: str, name: str, content: bytes, kind: str = "zengin-result", **headers):
    return h.client.post(
        "/receipts/imports",
        data={"csrf_token": h.csrf(page), "kind": kind},
        files={"file": (name, content, "application/octet-stream")},
        headers=headers,
        follow_redirects=False,
    )


def test_only_the_receipts_role_sees_the_menu_and_others_are_refused_without_a_call(make_harness):
    h = make_harness()
    page = signed_in(h)
    assert 'data-menu="receipts"' in page and 'id="import-form"' in page
    for user in ("kanpu01", "tainou01", "kansa01"):
        h.client.cookies.delete(SESSION_COOKIE)
        h.sign_in(user)
        assert 'data-menu="receipts"' not in h.client.get("/").text
        calls = len(h.upstream.calls)
        for path in (
            "/receipts",
            "/receipts/imports",
            "/receipts/unmatched",
            "/receipts/suspense",
            "/receipts/daily",
        ):
            response = h.client.get(path)
            assert response.status_code == 403 and "権限がありません" in response.text, (user, path)
        refused = h.client.post(
            "/receipts/unmatched/rc-0001", data={"csrf_token": h.csrf(h.client.get("/").text)}
        )
        assert refused.status_code == 403
        assert len(h.upstream.calls) == calls, user


def test_an_upload_goes_to_its_result_page_with_counts_located_errors_and_totals(make_harness):
    h = make_harness()
    page = signed_in(h)
    response = upload(h, page, "C:\\振替\\zengin-result.txt", b"1" * 120)
    assert response.status_code == 303 and response.headers["location"] == "/receipts/imports/ib-0001"
    sent = h.upstream.calls[-1]
    assert sent["path"] == "/api/imports/zengin-result" and sent["user"] == "shuno01"
    assert sent["query"] == "file=zengin-result.txt"  # the name without its folder, nothing else
    result = h.client.get("/receipts/imports/ib-0001").text
    assert 'id="count-applied">1 件' in result and 'id="count-held">1 件' in result
    assert 'id="file-total">¥1,234,567' in result and "¥4,000" in result
    assert "3 行目" in result and "領収日" in result  # the located error, its field in Japanese
    assert '<time datetime="2026-07-10T10:00:00+09:00"' in result  # imported at, in Japan time
    # htmx: the same answer as an HX-Redirect (the page shows the upload's progress meanwhile).
    big = upload(h, page, "zengin-result.txt", b"1" * 3_000_000)  # files are not limited to a form part
    assert big.status_code == 303 and len(h.upstream.calls[-1]["body"]) == 3_000_000
    again = upload(h, page, "zengin-result.txt", b"1" * 120, **{"HX-Request": "true"})
    assert again.status_code == 200 and again.headers["hx-redirect"] == "/receipts/imports/ib-0001"


def test_a_file_imported_before_and_a_refused_file(make_harness):
    h = make_harness()
    page = signed_in(h)
    response = upload(h, page, "zengin-result.txt", b"again")
    assert response.headers["location"] == "/receipts/imports/ib-0001?again=1"
    assert "このファイルは取込済みです" in h.client.get(response.headers["location"]).text
    refused = upload(h, page, "refused.txt", b"x")  # answered 422 with its report: still a batch
    assert refused.status_code == 303 and refused.headers["location"] == "/receipts/imports/ib-0001"


def test_an_upload_without_a_file_or_kind_names_the_fields_and_calls_nothing(make_harness):
    h = make_harness()
    page = signed_in(h)
    calls = len(h.upstream.calls)
    response = upload(h, page, "", b"", kind="")
    assert response.status_code == 422
    assert (
        "ファイルの種類を選んでください" in response.text
        and "取り込むファイルを選んでください" in response.text
    )
    htmx = upload(h, page, "", b"", kind="", **{"HX-Request": "true"})
    assert htmx.status_code == 200 and htmx.text.lstrip().startswith('<form id="import-form"')
    assert "<html" not in htmx.text and 'aria-invalid="true"' in htmx.text
    assert len(h.upstream.calls) == calls


def test_a_file_over_the_limit_is_refused_without_a_call(make_harness, monkeypatch):
    from osame_console.service_layer import receipts

    monkeypatch.setattr(receipts, "MAX_UPLOAD_BYTES", 100)
    h = make_harness()
    page = signed_in(h)
    calls = len(h.upstream.calls)
    response = upload(h, page, "zengin-result.txt", b"1" * 101)
    assert response.status_code == 422 and "ファイルが大きすぎます" in response.text
    assert len(h.upstream.calls) == calls


def test_assign_an_unmatched_receipt_refused_then_done(make_harness):
    h = make_harness()
    signed_in(h)
    listing = h.client.get("/receipts/unmatched").text
    assert 'data-item="rc-0001"' in listing and "¥12,000" in listing and "金融機関窓口（OCR）" in listing
    form = h.client.get("/receipts/unmatched/rc-0001").text
    refused = h.client.post(
        "/receipts/unmatched/rc-0001",
        data={"csrf_token": h.csrf(form), "notice_number": "R8-000009", "installment_no": "１"},
    )
    assert refused.status_code == 422
    assert "その通知書番号・期別は調定にありません" in refused.text
    assert h.upstream.calls[-1]["body"] == '{"notice_number":"R8-000009","installment_no":1}'
    missing = h.client.post(
        "/receipts/unmatched/rc-0001", data={"csrf_token": h.csrf(form), "installment_no": "x"}
    )
    assert missing.status_code == 422
    assert (
        "通知書番号を入力してください" in missing.text and "期別は半角数字で入力してください" in missing.text
    )
    done = h.client.post(
        "/receipts/unmatched/rc-0001",
        data={"csrf_token": h.csrf(form), "notice_number": "R8-000001", "installment_no": "1"},
    )
    assert done.status_code == 200 and "消込しました" in done.text and 'data-item="rc-0001"' not in done.text
    gone = h.client.get("/receipts/unmatched/rc-0001")
    assert gone.status_code == 404 and "すでに消込済みか" in gone.text


def test_the_lists_search_and_a_malformed_term_is_named(make_harness):
    h = make_harness()
    signed_in(h)
    history = h.client.get("/receipts/imports?channel=direct_debit&status=held")
    assert history.status_code == 200 and 'data-batch="ib-0001"' in history.text
    assert h.upstream.calls[-1]["query"] == "limit=100&channel=direct_debit&status=held"
    assert h.client.get("/receipts/imports?status=done").status_code == 422
    assert 'data-item="rc-0001"' not in h.client.get("/receipts/unmatched?notice_number=R8-000001").text
    assert (
        'data-item="rc-0001"'
        in h.client.get("/receipts/unmatched?channel=bank_counter&paid_to=2026-07-08").text
    )
    h.client.get("/receipts/suspense?batch_id=ib-0001&paid_from=2026-07-01")
    assert h.upstream.calls[-1]["query"] == "status=held&limit=500&batch_id=ib-0001&paid_from=2026-07-01"
    calls = len(h.upstream.calls)
    bad = h.client.get("/receipts/suspense?paid_from=7/1&notice_number=<x>")
    assert bad.status_code == 422
    assert "領収日（から）を正しい日付で入力してください" in bad.text and "通知書番号は半角英数字" in bad.text
    assert len(h.upstream.calls) == calls


def test_resolve_a_held_item_asks_for_the_unreadable_amount(make_harness):
    h = make_harness()
    signed_in(h)
    form = h.client.get("/receipts/suspense/sp-0001").text
    assert 'name="amount"' in form  # the record's amount was unreadable
    refused = h.client.post(
        "/receipts/suspense/sp-0001",
        data={"csrf_token": h.csrf(form), "notice_number": "R8-000001", "installment_no": "1"},
    )
    assert refused.status_code == 422 and "金額を入力してください" in refused.text
    done = h.client.post(
        "/receipts/suspense/sp-0001",
        data={
            "csrf_token": h.csrf(form),
            "notice_number": "R8-000001",
            "installment_no": "1",
            "amount": "4,000",
        },
    )
    assert done.status_code == 200 and "保留を解消しました" in done.text
    assert '"amount":4000' in h.upstream.calls[-2]["body"]


def test_a_held_item_that_belongs_to_no_notice_is_returned_with_a_note(make_harness):
    h = make_harness()
    signed_in(h)
    form = h.client.get("/receipts/suspense/sp-0001").text
    assert 'action="/receipts/suspense/sp-0001/return"' in form
    calls = len(h.upstream.calls)
    blank = h.client.post("/receipts/suspense/sp-0001/return", data={"csrf_token": h.csrf(form), "note": " "})
    assert blank.status_code == 422 and "処理内容（返還先・理由）を入力してください" in blank.text
    assert len(h.upstream.calls) == calls + 1  # only the item's lookup: nothing was sent to return
    done = h.client.post(
        "/receipts/suspense/sp-0001/return",
        data={"csrf_token": h.csrf(form), "note": "他団体あての納付。金融機関経由で返金済み。"},
    )
    assert done.status_code == 200 and "保留を返還済みにしました" in done.text
    assert h.upstream.calls[-2]["path"] == "/api/suspense/sp-0001/return"
    assert 'data-item="sp-0001"' not in done.text  # the held list no longer shows it


def test_daily_totals_for_a_day_and_a_day_receipts_refuses(make_harness):
    h = make_harness()
    signed_in(h)
    page = h.client.get("/receipts/daily?booked_on=2026-07-09").text
    assert "令和8年7月9日</time> の日計" in page and 'id="reconciled"' in page
    assert "¥1,230,567" in page and "一致" in page and "個人住民税" in page
    assert h.upstream.calls[-1]["query"] == "booked_on=2026-07-09"
    h.client.get("/receipts/daily")
    assert h.upstream.calls[-1]["query"] == ""  # no date sent: receipts' business date
    future = h.client.get("/receipts/daily?booked_on=2027-01-01")
    assert future.status_code == 422 and "収入日が業務日から離れすぎています" in future.text


def test_admin_shows_the_import_runs_to_whom_may_read_them(make_harness):
    h = make_harness()
    h.sign_in("kanri01")  # システム管理者 (*)
    page = h.client.get("/admin")
    assert page.status_code == 200 and 'id="h-runs"' in page.text
    assert 'href="/receipts/imports/ib-0001"' in page.text and "取込済（一部保留）" in page.text
    assert h.upstream.calls[-1]["query"] == "limit=20"
    h.client.cookies.delete(SESSION_COOKIE)
    h.sign_in("kansa01")  # 監査担当: audit trails only
    calls = len(h.upstream.calls)
    page = h.client.get("/admin")
    assert page.status_code == 200 and 'id="h-runs"' not in page.text
    assert not any(c["path"].startswith("/api/") for c in h.upstream.calls[calls:])


def test_receipts_not_answering_an_htmx_upload_is_said_in_the_form(make_harness):
    h = make_harness(receipts_url="http://127.0.0.1:9")  # nothing listens there
    page = signed_in(h)
    assert 'hx-encoding="multipart/form-data"' in page and "progress" in page and "/static/console.js" in page
    script = h.client.get("/static/console.js")  # same origin: the CSP (script-src 'self') allows it
    assert script.status_code == 200 and "htmx:xhr:progress" in script.text
    htmx = upload(h, page, "zengin-result.txt", b"1", **{"HX-Request": "true"})
    assert htmx.status_code == 200 and 'id="refused"' in htmx.text and "一時的に利用できません" in htmx.text
    plain = upload(h, page, "zengin-result.txt", b"1")
    assert plain.status_code == 503 and "一時的に利用できません" in plain.text
