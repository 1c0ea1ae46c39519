"""担当一覧 (collection's worklists) in process: the menu per role, the tabs and paging, each row
linking to the case page, ¥ and 和暦 (Western date on hover), the 担当 selector only with
worklists.team, refusals by the console without a call, and collection's refusals mapped."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest

# A 滞納整理 role that may read its own lists only (no worklists.team).
OWN_ONLY = {"collection_staff": ["collection:cases.read", "collection:worklists.read"]}


def refused_without_a_call(h, path: str, status: int, message: str) -> None:
    calls = len(h.upstream.calls)
    response = h.client.get(path)
    assert response.status_code == status and message in response.text, path
    assert len(h.upstream.calls) == calls  # the console refused it: collection was not called


def test_the_menu_entry_follows_the_roles(make_harness):
    h = make_harness()
    h.sign_in("tainou01")
    assert 'data-menu="worklists"' in h.client.get("/").text
    h.client.cookies.clear()
    h.sign_in("shuno01")
    assert 'data-menu="worklists"' not in h.client.get("/").text
    refused_without_a_call(h, "/worklists", 403, "権限がありません")


def test_my_cases_first_tab_with_amounts_dates_links_and_paging(make_harness):
    h = make_harness()
    h.sign_in("tainou01")
    page = h.client.get("/worklists")
    assert page.status_code == 200, page.text
    call = h.upstream.calls[-1]
    assert call["path"] == "/worklists/cases" and call["user"] == "tainou01"
    assert parse_qs(call["query"]) == {"page": ["1"], "per_page": ["50"]}  # own list: no assignee
    text = page.text
    assert 'data-kind="cases" aria-current="page"' in text and "担当案件" in text and "53件" in text
    assert 'href="/cases/100001"' in text and "¥1,234,567" in text
    assert '<time datetime="2026-04-30" title="2026-04-30">令和8年4月30日</time>' in text
    assert "1 / 2ページ" in text and 'href="/worklists/cases?page=2"' in text
    second = h.client.get("/worklists/cases?page=2").text
    assert 'href="/cases/100051"' in second and 'href="/cases/100001"' not in second
    assert "前のページ" in second and 'id="next-page"' not in second


@pytest.mark.parametrize(
    ("kind", "shown"),
    [
        ("next-actions", "電話で納付を確認"),
        ("promises", "¥50,000"),
        ("limitation", "令和8年12月1日"),
        ("seizures", "預貯金"),
        ("pledges-breached", "令和8年6月15日"),
    ],
)
def test_each_tab_lists_its_own_columns(make_harness, kind, shown):
    h = make_harness()
    h.sign_in("tainou01")
    text = h.client.get(f"/worklists/{kind}").text
    assert h.upstream.calls[-1]["path"] == f"/worklists/{kind}"
    assert f'data-kind="{kind}" aria-current="page"' in text and shown in text
    assert 'href="/cases/100001"' in text


def test_the_team_selector_reads_another_assignee_and_everyone(make_harness):
    h = make_harness()
    h.sign_in("tainou01")  # collection_staff: collection:* includes worklists.team
    assert 'id="assignee-form"' in h.client.get("/worklists").text
    text = h.client.get("/worklists/promises?assignee=tainou02").text
    assert parse_qs(h.upstream.calls[-1]["query"])["assignee"] == ["tainou02"]
    assert "担当 tainou02" in text and 'href="/worklists/seizures?assignee=tainou02"' in text
    h.client.get("/worklists/limitation?assignee=*&horizon_days=365")
    query = parse_qs(h.upstream.calls[-1]["query"])
    assert query["assignee"] == ["*"] and query["horizon_days"] == ["365"]


def test_without_the_team_permission_no_selector_and_another_list_is_refused_without_a_call(make_harness):
    h = make_harness(console_roles=OWN_ONLY, service_roles=OWN_ONLY)
    h.sign_in("tainou01")
    page = h.client.get("/worklists").text
    assert 'id="assignee-form"' not in page and 'href="/cases/100001"' in page
    for path in ("/worklists/cases?assignee=tainou02", "/worklists/promises?assignee=*"):
        refused_without_a_call(h, path, 403, "権限がありません")
    # naming oneself is one's own list
    assert h.client.get("/worklists/cases?assignee=tainou01").status_code == 200


def test_collection_refusing_the_team_list_is_shown_as_forbidden(make_harness):
    # The console thinks the role may (its own role table), collection does not: its 403 is shown.
    h = make_harness(service_roles=OWN_ONLY)
    h.sign_in("tainou01")
    response = h.client.get("/worklists/promises?assignee=tainou02")
    assert response.status_code == 403 and "権限がありません" in response.text
    assert h.upstream.calls[-1]["path"] == "/worklists/promises"


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/worklists/cases?assignee=*", "担当案件の一覧は担当者を1人選んでください"),
        ("/worklists/cases?page=0", "ページは1以上の半角数字で指定してください"),
        ("/worklists/cases?page=x", "ページは1以上の半角数字で指定してください"),
        ("/worklists/cases?assignee=%E5%B1%B1%E7%94%B0", "担当者は職員IDで指定してください"),
        ("/worklists/promises?ahead_days=32", "先読み日数は0〜31の半角数字で指定してください"),
        ("/worklists/limitation?horizon_days=-1", "時効完成までの日数は0〜1098の半角数字で指定してください"),
        ("/worklists/nothing", "一覧の種類が正しくありません"),
    ],
)
def test_typed_values_the_console_refuses_name_the_field_without_a_call(make_harness, path, message):
    h = make_harness()
    h.sign_in("tainou01")
    refused_without_a_call(h, path, 422, message)
