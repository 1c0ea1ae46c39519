"""The console's doors in process: sign-in (OIDC code + PKCE through the development issuer),
session cookie, CSRF, idle timeout, sign-out, permission handling and the BFF error mapping."""

from __future__ import annotations

import asyncio
import datetime as dt
import json

from osame_console.adapters import orm
from osame_console.entrypoints.web import SESSION_COOKIE, SIGN_IN_COOKIE
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import create_async_engine


def db_rows(settings, table) -> list[dict]:
    async def read():
        engine = create_async_engine(settings.effective_database_url)
        try:
            async with engine.connect() as conn:
                return [dict(r) for r in (await conn.execute(select(table))).mappings()]
        finally:
            await engine.dispose()

    return asyncio.run(read())


def audit(settings) -> list[tuple[str, str, str]]:
    return [(r["user_id"], r["operation"], r["outcome"]) for r in db_rows(settings, orm.audit_log)]


def signed_in(harness, user="tainou01", next_path="/"):
    response = harness.sign_in(user, next_path)
    assert response.status_code == 200, response.text
    return response


# -- sign-in ----------------------------------------------------------------------------------------


def test_a_page_without_a_session_goes_to_sign_in(make_harness):
    h = make_harness()
    response = h.client.get("/cases/100001", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/auth/sign-in?next=%2Fcases%2F100001&reason=required"
    page = h.client.get(response.headers["location"])
    assert "サインインしてください。" in page.text and 'href="/auth/login?next=/cases/100001"' in page.text
    assert h.upstream.calls == []


def test_sign_in_with_pkce_creates_an_audited_session_with_a_strict_httponly_cookie(
    make_harness, console_settings
):
    h = make_harness()
    start = h.client.get("/auth/login", params={"next": "/cases/100001"}, follow_redirects=False)
    authorize = h.callback_query(start)
    assert authorize["code_challenge_method"] == ["S256"] and len(authorize["code_challenge"][0]) == 43
    assert (
        authorize["state"]
        and authorize["nonce"]
        and authorize["redirect_uri"] == ["http://console.test/auth/callback"]
    )
    binding = start.headers["set-cookie"]
    assert binding.startswith(SIGN_IN_COOKIE) and "HttpOnly" in binding and "SameSite=lax" in binding
    assert "Path=/auth" in binding

    response = signed_in(h, next_path="/cases/100001")
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" not in cookie  # http in tests
    assert 'http-equiv="refresh" content="0; url=/cases/100001"' in response.text  # same-site navigation
    home = h.client.get("/")
    assert home.status_code == 200
    assert "tainou01" in home.text and "滞納整理担当" in home.text
    assert 'data-menu="cases"' in home.text and 'data-menu="batches"' in home.text
    assert audit(console_settings) == [("tainou01", "console.sign-in", "ok")]
    [session] = db_rows(console_settings, orm.sessions)
    assert session["user_id"] == "tainou01" and session["roles"] == ["collection_staff"]
    session_id = h.client.cookies[SESSION_COOKIE].rpartition(".")[0]
    stored = json.dumps({k: (v.hex() if isinstance(v, bytes) else str(v)) for k, v in session.items()})
    assert session_id not in stored  # the database holds a hash of the id …
    assert "eyJ" not in stored  # … and the tokens sealed, never a JWT in clear


def test_a_callback_in_another_browser_is_refused_and_audited(make_harness, console_settings):
    h = make_harness()
    start = h.client.get("/auth/login", follow_redirects=False)
    page = h.issuer.get(start.headers["location"])
    assert page.status_code == 200
    h.client.cookies.delete(SIGN_IN_COOKIE, path="/auth")  # the attacker's browser has no binding cookie
    query = h.callback_query(start)
    response = h.client.get("/auth/callback", params={"code": "x", "state": query["state"][0]})
    assert response.status_code == 400 and "サインインできませんでした" in response.text
    assert "state_mismatch" in response.text
    assert audit(console_settings) == [("-", "console.sign-in", "refused:state_mismatch")]


def test_a_replayed_callback_is_refused(make_harness, console_settings):
    h = make_harness()
    start = h.client.get("/auth/login", follow_redirects=False)
    page = h.issuer.get(start.headers["location"])
    import re
    from html import unescape

    fields = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"', page.text))
    chosen = h.issuer.post(
        "/authorize",
        data={**{k: unescape(v) for k, v in fields.items()}, "user": "tainou01"},
        follow_redirects=False,
    )
    callback = chosen.headers["location"].removeprefix("http://console.test")
    binding = h.client.cookies.get(SIGN_IN_COOKIE)
    assert h.client.get(callback, follow_redirects=False).status_code == 200
    h.client.cookies.set(SIGN_IN_COOKIE, binding, domain="console.test", path="/auth")
    again = h.client.get(callback, follow_redirects=False)
    assert again.status_code == 400
    assert [a[2] for a in audit(console_settings)] == ["ok", "refused:state_unknown_or_expired"]


def test_an_issuer_error_is_shown_and_audited(make_harness, console_settings):
    h = make_harness()
    h.client.get("/auth/login", follow_redirects=False)
    response = h.client.get("/auth/callback", params={"error": "access_denied", "state": "s"})
    assert response.status_code == 400
    assert audit(console_settings) == [("-", "console.sign-in", "refused:issuer_access_denied")]


def test_the_return_path_after_sign_in_stays_on_the_console(make_harness):
    h = make_harness()
    response = h.sign_in("tainou01", "https://evil.example/steal")
    assert 'url=/"' in response.text


# -- CSRF, idle timeout, sign-out -------------------------------------------------------------------------


def test_every_form_needs_the_session_csrf_token(make_harness):
    h = make_harness()
    signed_in(h)
    page = h.client.get("/cases/100001")
    token = h.csrf(page.text)
    form = {"contacted_on": "2026-07-10", "channel": "phone", "summary": "本人と電話"}
    for bad in ({}, {"csrf_token": "forged"}):
        refused = h.client.post("/cases/100001/contacts", data={**form, **bad}, follow_redirects=False)
        assert refused.status_code == 403 and "フォームの有効期限が切れました" in refused.text
    assert not any(c["method"] == "POST" for c in h.upstream.calls)
    ok = h.client.post("/cases/100001/contacts", data={**form, "csrf_token": token}, follow_redirects=False)
    assert ok.status_code == 303 and ok.headers["location"] == "/cases/100001?saved=contacts#contacts"
    posted = next(c for c in h.upstream.calls if c["method"] == "POST")
    assert json.loads(posted["body"]) == {
        "contacted_on": "2026-07-10",
        "channel": "phone",
        "summary": "本人と電話",
    }
    assert posted["user"] == "tainou01"  # the service sees the signed-in user's own token
    via_header = h.client.post(
        "/cases/100001/contacts", data=form, headers={"X-CSRF-Token": token}, follow_redirects=False
    )
    assert via_header.status_code == 303  # htmx sends the token as a header


def test_an_idle_session_ends_and_is_audited(make_harness, console_settings):
    h = make_harness()
    signed_in(h)

    async def age():
        engine = create_async_engine(console_settings.effective_database_url)
        async with engine.begin() as conn:
            past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=console_settings.idle_timeout_seconds + 5)
            await conn.execute(update(orm.sessions).values(last_seen_at=past))
        await engine.dispose()

    asyncio.run(age())
    response = h.client.get("/cases/100001", follow_redirects=False)
    assert response.status_code == 303 and "reason=idle" in response.headers["location"]
    page = h.client.get(response.headers["location"])
    assert "一定時間操作がなかったため" in page.text
    assert db_rows(console_settings, orm.sessions) == []
    assert audit(console_settings)[-1] == ("tainou01", "console.idle-timeout", "ok")
    assert h.upstream.calls == []


def test_sign_out_ends_the_session_at_the_console_and_the_issuer(make_harness, console_settings):
    h = make_harness()
    signed_in(h)
    token = h.csrf(h.client.get("/").text)
    out = h.client.post("/auth/logout", data={"csrf_token": token}, follow_redirects=False)
    assert out.status_code == 303
    location = out.headers["location"]
    assert location.startswith("http://issuer.test/end-session?")
    assert "post_logout_redirect_uri=http%3A%2F%2Fconsole.test%2Fauth%2Fsigned-out" in location
    assert "id_token_hint=" in location
    back = h.issuer.get(location, follow_redirects=False)
    assert back.status_code == 303 and back.headers["location"] == "http://console.test/auth/signed-out"
    assert "サインアウトしました" in h.client.get("/auth/signed-out").text
    assert h.client.get("/", follow_redirects=False).status_code == 303
    assert audit(console_settings)[-1] == ("tainou01", "console.sign-out", "ok")
    assert db_rows(console_settings, orm.sessions) == []


def test_a_forged_session_cookie_is_ignored(make_harness):
    h = make_harness()
    h.client.cookies.set(SESSION_COOKIE, "forged.mac", domain="console.test")
    assert h.client.get("/", follow_redirects=False).status_code == 303


# -- permission handling ----------------------------------------------------------------------------------


def test_without_the_role_no_menu_entry_and_the_url_answers_forbidden_without_a_call(make_harness):
    h = make_harness()
    signed_in(h, "shuno01")  # 収納担当: no collection permission
    home = h.client.get("/").text
    assert 'data-menu="cases"' not in home and 'data-menu="batches"' not in home
    # (管理 is open to a 収納担当 since receipts:* grants receipts' own audit trail)
    for path in ("/cases/100001", "/cases", "/batches", "/admin/audit/collection", "/addressees"):
        response = h.client.get(path)
        assert response.status_code == 403, path
        assert "権限がありません" in response.text
    token = h.csrf(home)
    posted = h.client.post("/cases/100001/contacts", data={"csrf_token": token, "summary": "x"})
    assert posted.status_code == 403 and "権限がありません" in posted.text
    assert h.upstream.calls == []  # refused by the console itself


def test_a_refusal_by_the_service_is_shown_as_forbidden(make_harness):
    # The console's role map grants more than the service's: the service has the last word.
    h = make_harness(service_roles={"collection_staff": ["collection:batches.read"]})
    signed_in(h)
    response = h.client.get("/cases/100001")
    assert response.status_code == 403 and "権限がありません" in response.text
    assert h.upstream.paths() == []  # the service's Authenticator refused before the endpoint


def test_a_token_the_service_no_longer_accepts_ends_the_session(make_harness, console_settings):
    h = make_harness()
    signed_in(h)
    response = h.client.get("/cases/401401", follow_redirects=False)
    assert response.status_code == 303 and "reason=service" in response.headers["location"]
    assert db_rows(console_settings, orm.sessions) == []
    assert audit(console_settings)[-1] == ("tainou01", "console.signed-out-by-service", "ok")


# -- BFF error mapping -------------------------------------------------------------------------------------


def test_service_errors_become_japanese_pages_without_internals(make_harness):
    h = make_harness()
    signed_in(h)
    expected = {
        "403403": (403, "権限がありません"),
        "409409": (409, "他の操作と競合しました"),
        "500500": (503, "しばらくしてから再度お試しください"),
        "100002": (404, "この宛名番号の記録はありません。"),
    }
    for addressee_id, (status, words) in expected.items():
        response = h.client.get(f"/cases/{addressee_id}")
        assert response.status_code == status, addressee_id
        assert words in response.text
        assert "internal error" not in response.text and "Traceback" not in response.text


def test_a_service_that_does_not_answer_gives_a_retry_message(make_harness):
    h = make_harness(collection_url="http://127.0.0.1:9")
    signed_in(h)
    response = h.client.get("/cases/100001")
    assert response.status_code == 503 and "しばらくしてから再度お試しください" in response.text
    assert "再読み込み" in response.text


def test_a_refused_form_comes_back_with_each_field_named_and_the_values_kept(make_harness):
    h = make_harness()
    signed_in(h)
    token = h.csrf(h.client.get("/cases/100001").text)
    response = h.client.post(
        "/cases/100001/contacts",
        data={"csrf_token": token, "contacted_on": "2026-07-09", "channel": "fax", "summary": ""},
    )
    assert response.status_code == 422
    assert "折衝内容を入力してください" in response.text
    assert "折衝方法は選択肢から選んでください" in response.text
    assert 'value="2026-07-09"' in response.text  # what was typed is kept
    assert 'aria-invalid="true"' in response.text and 'href="#f-summary"' in response.text


def test_a_malformed_addressee_id_is_refused_by_the_console(make_harness):
    h = make_harness()
    signed_in(h)
    response = h.client.get("/cases", params={"addressee_id": "12-34"})
    assert response.status_code == 422 and "宛名番号は半角数字15桁以内で入力してください" in response.text
    assert (
        h.client.get("/cases", params={"addressee_id": "１００００１"}, follow_redirects=False).headers[
            "location"
        ]
        == "/cases/100001"
    )


def test_the_case_page_shows_yen_and_wareki_and_is_viewed_as_of_the_business_date(make_harness):
    h = make_harness()
    signed_in(h)
    page = h.client.get("/cases/100001", params={"as_of": "2030-01-01"})  # a request cannot move the date
    assert page.status_code == 200
    assert "¥1,234,567" in page.text and "¥30,000" in page.text
    assert '<time datetime="2026-06-30" title="2026-06-30">令和8年6月30日</time>' in page.text
    [call] = [c for c in h.upstream.calls if c["method"] == "GET"]
    assert call["query"] == "as_of=2026-07-10"
    assert page.headers["cache-control"] == "no-store"
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"


def test_a_search_sends_the_name_in_the_body_never_in_the_url(make_harness):
    h = make_harness(console_roles=None)
    signed_in(h, "atena01")
    token = h.csrf(h.client.get("/addressees").text)
    empty = h.client.post("/addressees/search", data={"csrf_token": token})
    assert empty.status_code == 422 and "宛名番号かカナ氏名のどちらかを入力してください" in empty.text
    found = h.client.post(
        "/addressees/search",
        data={"csrf_token": token, "name_kana": "やまだ"},
        headers={"HX-Request": "true"},
    )
    assert found.status_code == 200 and "検索結果 0件" in found.text and "<html" not in found.text
    [call] = h.upstream.calls
    assert call["path"] == "/addressees/search" and call["query"] == ""
    assert json.loads(call["body"]) == {"name_kana": "やまだ"}


def test_over_https_the_cookies_are_secure_and_prefixed(make_harness):
    from starlette.responses import Response

    h = make_harness(public_url="https://console.example")
    web = h.app.state.web
    response = Response()
    web.session_cookie(response, "sid")
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("__Host-osame_console_session=") and "Secure" in cookie and "Path=/" in cookie
    assert "Domain" not in cookie and "SameSite=strict" in cookie and "HttpOnly" in cookie
    assert web.sign_in_cookie_name == "__Secure-osame_console_sign_in"
