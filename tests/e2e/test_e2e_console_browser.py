"""The staff console in a real headless Chromium against the real services (`Stack` with the
console and the development OIDC issuer), on the synthetic city's day.

One stack for the module (five services, issuer, console; SQLite stores, the real RabbitMQ):
sign in through the issuer's login page, search a taxpayer, open the case, record a 折衝 entry
with the keyboard, see the case on the 担当一覧 (worklist), run the nightly batch and download its
letters, see 管理, sign out; then a user without the role sees no menu entry and gets 権限がありません
on the URL; 収納訂正 proposed by one cashier and approved by another (the proposer refused); the
監査担当's 管理: every service's chain and trail. Every screen is
saved as a PNG in the test output directory (`OSAME_TEST_OUTPUT_DIR`, default
`var/test-output`), and axe-core (vendored) reports no critical violation on the main screens.

Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them); skipped without them.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import json
import os
import shutil
import time
import uuid
from pathlib import Path

import httpx
import pytest
from osame_cli.city import build_city
from osame_cli.settle import wait_settled
from osame_cli.stack import Stack

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1280,1400",
    "--lang=ja-JP",
)
HOUSEHOLDS = 30
KATA_TO_HIRA = {chr(c): chr(c - 0x60) for c in range(0x30A1, 0x30F7)}


def hiragana(text: str) -> str:
    return "".join(KATA_TO_HIRA.get(c, c) for c in text)


@pytest.fixture(scope="module")
def city():
    return build_city(households=HOUSEHOLDS)


@pytest.fixture(scope="module")
def console_stack(amqp_url, tmp_path_factory, city):
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        if os.environ.get("OSAME_REQUIRE_BROWSER"):  # CI installs them: missing is a failure there
            pytest.fail(
                "OSAME_REQUIRE_BROWSER is set but /usr/bin/chromium or /usr/bin/chromedriver is missing"
            )
        pytest.skip(
            "Debian's chromium and chromium-driver are not installed (apt-get install chromium chromium-driver)"
        )
    prefix = f"e2e-console-{uuid.uuid4().hex[:8]}."
    stack = Stack(
        amqp_url=amqp_url,
        prefix=prefix,
        work_dir=tmp_path_factory.mktemp("e2e-console"),
        extra_env={"OSAME_BUSINESS_DATE": city.day.isoformat()},
        dev_wiring=True,
        with_console=True,
    )
    try:
        stack.start(timeout=180)
        asyncio.run(_seed(stack, city))
        yield stack
    finally:
        codes = stack.stop()
        stack.remove_namespace()
    assert codes == dict.fromkeys(codes, 0), f"graceful shutdown failed: {codes}"


async def _seed(stack: Stack, city) -> None:
    async with stack.bus() as bus:
        for message in [*city.addressees, *city.assessments]:
            await bus.send(message)
        await wait_settled(
            stack,
            bus,
            lambda s: (
                s["receipts"]["notices"] == len(city.assessments)
                and s["collection"]["addressees"] == len(city.addressees)
                and s["address-sync"]["addressees"] == len(city.addressees)
            ),
            timeout=180,
        )
        for message in city.receipts:
            await bus.send(message)
        await wait_settled(
            stack, bus, lambda s: s["receipts"]["receipts"] == city.expected.receipts, timeout=180
        )


@pytest.fixture(scope="module")
def artifacts() -> Path:
    base = Path(os.environ.get("OSAME_TEST_OUTPUT_DIR") or ROOT / "var" / "test-output")
    out = base / "console-browser" / dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out.mkdir(parents=True, exist_ok=True)
    return out


@pytest.fixture
def browser(artifacts, request):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    downloads = artifacts / "downloads" / request.node.name
    downloads.mkdir(parents=True, exist_ok=True)
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_experimental_option(
        "prefs", {"download.default_directory": str(downloads), "download.prompt_for_download": False}
    )
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.implicitly_wait(0)
    driver.downloads = downloads
    yield Browser(driver, artifacts / request.node.name)
    driver.quit()


class Browser:
    """A little vocabulary over Selenium for these tests: go, click, wait, screenshot, axe."""

    def __init__(self, driver, shots: Path):
        self.driver = driver
        self.shots = shots
        self.shots.mkdir(parents=True, exist_ok=True)
        self.count = 0
        self.axe_reports: dict[str, list] = {}

    def wait(self, condition, timeout: float = 30):
        from selenium.common.exceptions import StaleElementReferenceException
        from selenium.webdriver.support.ui import WebDriverWait

        # While a form post navigates, an element read from the page being replaced is stale: the
        # condition is asked again on the next poll (the new page), not failed.
        return WebDriverWait(
            self.driver, timeout, poll_frequency=0.2, ignored_exceptions=(StaleElementReferenceException,)
        ).until(condition)

    def css(self, selector: str):
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.CSS_SELECTOR, selector)

    def all(self, selector: str):
        from selenium.webdriver.common.by import By

        return self.driver.find_elements(By.CSS_SELECTOR, selector)

    def visible(self, selector: str, timeout: float = 30):
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as ec

        return self.wait(ec.visibility_of_element_located((By.CSS_SELECTOR, selector)), timeout)

    def text(self) -> str:
        from selenium.common.exceptions import StaleElementReferenceException, WebDriverException

        try:
            return self.css("body").text
        except WebDriverException as exc:
            # chromedriver reports a body found in the document being replaced by a navigation as
            # "Node with given id does not belong to the document": a stale element by another name
            # (seen once in a newcomer soak, inside a wait for the page after a form post).
            if "does not belong to the document" in str(exc):
                raise StaleElementReferenceException(str(exc)) from exc
            raise

    def shot(self, name: str) -> Path:
        self.count += 1
        path = self.shots / f"{self.count:02d}-{name}.png"
        self.driver.save_screenshot(str(path))
        return path

    def axe(self, name: str) -> list[dict]:
        """Run axe-core on the page; its violations (id, impact, nodes) are saved beside the shots."""
        self.driver.execute_script(AXE.read_text(encoding="utf-8"))
        violations = self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "axe.run(document, {resultTypes: ['violations']})"
            ".then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,"
            " nodes: v.nodes.length}))))"
            ".catch(e => done([{id: 'axe-error', impact: 'critical', help: String(e), nodes: 0}]));"
        )
        self.axe_reports[name] = violations
        (self.shots / f"axe-{name}.json").write_text(json.dumps(violations, ensure_ascii=False, indent=2))
        return violations

    def assert_accessible(self, name: str) -> None:
        critical = [v for v in self.axe(name) if v["impact"] == "critical"]
        assert not critical, f"axe critical violations on {name}: {critical}"

    def sign_in(self, console_url: str, user: str) -> None:
        self.driver.get(console_url + "/")
        self.visible("#sign-in").click()  # the console's sign-in page → the issuer
        self.visible(f"#user-{user}").click()
        self.shot(f"issuer-login-{user}")
        self.css("#sign-in").click()  # the issuer's login form → back to the console
        self.visible("nav.menu")


def _taxpayer(city) -> tuple[str, str]:
    """(宛名番号, カナ氏名) of a household that owes a past-due 固定資産税 installment, not protected."""
    protected = {a.addressee_id for a in city.addressees if a.protected}
    owing = [a.addressee_id for a in city.assessments if a.notice_number.startswith("K")]
    addressee_id = next(a for a in owing if a not in protected)
    kana = next(a.name_kana for a in city.addressees if a.addressee_id == addressee_id)
    return addressee_id, kana


def test_a_collection_officer_works_a_case_and_runs_the_nightly_batch(console_stack, browser, city):
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    url = console_stack.console.url
    addressee_id, kana = _taxpayer(city)

    # サインイン: the console's sign-in page, the issuer's login page with the demo staff, home.
    browser.driver.get(url + "/")
    browser.visible("#sign-in")
    assert "サインインしてください" in browser.text()
    browser.shot("sign-in")
    browser.visible("#sign-in").click()
    browser.visible("#user-tainou01")
    assert "collection_staff" in browser.text() and "開発用の認証サーバー" in browser.text()
    browser.shot("issuer-login")
    browser.css("#user-tainou01").click()
    browser.css("#sign-in").click()
    browser.visible("nav.menu")
    menu = [a.text for a in browser.all("nav.menu a")]
    assert menu == ["ホーム", "宛名検索", "担当一覧", "滞納整理", "夜間バッチ", "管理"]
    assert "tainou01" in browser.text() and "令和8年6月30日" in browser.text()  # the business date, 和暦
    browser.shot("home")
    browser.assert_accessible("home")

    # 宛名検索 by カナ氏名, typed in hiragana with a full-width space; results come in with htmx.
    browser.css('nav.menu a[data-menu="addressees"]').click()
    field = browser.visible("#f-name_kana")
    field.send_keys(hiragana(kana).replace(" ", "\u3000"))
    field.send_keys(Keys.ENTER)
    row_link = browser.visible(f'#results a[href="/cases/{addressee_id}"]')
    assert "検索結果" in browser.text() and browser.driver.current_url.endswith("/addressees")  # htmx swap
    browser.shot("search")
    browser.assert_accessible("search")

    # 滞納整理: the case page with yen amounts and 和暦 dates (Western date on hover).
    row_link.click()
    browser.visible("#h-unpaid")
    assert browser.driver.current_url.endswith(f"/cases/{addressee_id}")
    page = browser.text()
    assert f"宛名番号 {addressee_id}" in page and "¥" in page and "令和8年" in page
    hover = browser.css("#h-unpaid ~ div time, #h-unpaid ~ table time")
    assert hover.get_attribute("title").startswith("2026-")
    browser.shot("case")
    browser.assert_accessible("case")

    # 折衝記録 with the keyboard only: open the form, type, choose, submit.
    summary = browser.css("#contacts details > summary")
    summary.send_keys(Keys.ENTER)
    channel = browser.visible("#f-channel")
    Select(channel).select_by_value("phone")
    text = browser.css("#f-summary")
    text.send_keys("本人と電話。7月末までに全額納付すると約束。")
    browser.shot("contact-form")
    browser.css("#contacts form button[type=submit]").send_keys(Keys.ENTER)
    browser.wait(lambda d: "折衝記録を登録しました" in browser.text())
    assert "本人と電話。7月末までに全額納付すると約束。" in browser.text()
    browser.shot("contact-saved")

    # 担当一覧: the case is assigned to tainou01 (collection's API; the console has no form for it
    # yet), so it is on the 担当案件 tab of the user's own list, linking back to the case page.
    token = console_stack.staff_token("tainou01", ["collection_staff"])
    assigned = httpx.put(
        f"{console_stack.services['collection'].url}/cases/{addressee_id}/assignee",
        json={"assignee": "tainou01"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert assigned.status_code == 200, assigned.text
    browser.css('nav.menu a[data-menu="worklists"]').click()
    browser.visible(f'#worklist a[href="/cases/{addressee_id}"]')
    assert browser.css('a[data-kind="cases"]').get_attribute("aria-current") == "page"
    assert "自分の担当" in browser.text() and "¥" in browser.css("#worklist").text
    assert browser.css("#worklist td time").get_attribute("title").startswith("20")  # Western on hover
    browser.visible("#f-assignee")  # collection_staff holds worklists.team: the 担当 selector
    browser.shot("worklist")
    browser.assert_accessible("worklist")
    browser.css('a[data-kind="limitation"]').click()
    browser.wait(lambda d: d.current_url.endswith("/worklists/limitation"))
    assert "時効完成間近" in browser.text()

    # 夜間バッチ: run on the business date, follow the progress, download the letters.
    browser.css('nav.menu a[data-menu="batches"]').click()
    browser.visible("#run-nightly")
    assert "令和8年6月30日" in browser.text()
    browser.shot("batches")
    browser.css("#run-nightly").click()
    browser.wait(
        lambda d: browser.all('[data-status="done"]') or browser.all('[data-status="failed"]'), timeout=180
    )
    assert browser.all('[data-status="done"]'), browser.text()
    browser.visible("#letters-csv")
    browser.shot("batch-done")
    browser.assert_accessible("batch")
    ready = int(browser.text().split("印刷用データ ")[1].split(" 通")[0])
    browser.css("#letters-csv").click()
    downloaded = _wait_for_download(browser.driver.downloads, ".csv")
    with downloaded.open(encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    assert rows and len(rows) - 1 == ready  # header + one line a letter, as the page said
    shutil.copy(downloaded, browser.shots / downloaded.name)

    # The case now shows the 督促 the batch issued (if it was due one).
    browser.driver.get(f"{url}/cases/{addressee_id}")
    browser.visible("#h-unpaid")
    browser.shot("case-after-batch")

    # 管理: the hash chains of the audit logs (collection's holds this user's own actions).
    browser.css('nav.menu a[data-menu="admin"]').click()
    browser.visible("#h-chains")
    assert "改ざんなし" in browser.text()
    browser.shot("admin")
    browser.assert_accessible("admin")

    # サインアウト: the console, then the issuer's end-session, then the console's signed-out page.
    browser.css("form[action='/auth/logout'] button").click()
    browser.wait(lambda d: "/auth/signed-out" in d.current_url)
    assert "サインアウトしました" in browser.text()
    browser.shot("signed-out")
    browser.driver.get(f"{url}/cases/{addressee_id}")
    browser.visible("#sign-in")  # the session is over


def test_a_user_without_the_role_sees_no_menu_entry_and_is_refused_on_the_url(console_stack, browser, city):
    url = console_stack.console.url
    addressee_id, _ = _taxpayer(city)
    browser.sign_in(url, "shuno01")  # 収納担当: no collection or address-sync permission
    menu = [a.text for a in browser.all("nav.menu a")]
    # the refund queues (read only) and 管理 for receipts' own audit trail; nothing of 滞納整理
    assert menu == ["ホーム", "収納", "還付・充当", "管理"]
    browser.shot("home-receipts-clerk")
    browser.driver.get(f"{url}/cases/{addressee_id}")
    browser.visible("h1")
    assert "権限がありません" in browser.text()
    assert addressee_id not in browser.css("main").text.replace(url, "")  # nothing of the case is shown
    browser.shot("forbidden")
    browser.assert_accessible("forbidden")
    for path in ("/batches", "/admin/audit/collection", "/addressees"):
        browser.driver.get(url + path)
        assert "権限がありません" in browser.visible("h1").text


def _ocr_file(city, folder: Path) -> tuple[Path, str]:
    """A 金融機関窓口 (OCR) file of the business date (docs/formats/ocr.md): one receipt for a known
    通知書, one for a 通知書番号 the ledger does not have (未消込), one 領収日 after the business date
    (保留); the trailer's count and total match. Returns (path, the known 通知書番号)."""
    # a 固定資産税 notice with a past-due installment: the money pays debt (no overpayment to refund)
    notice = next(a.notice_number for a in city.assessments if a.notice_number.startswith("K"))
    day = city.day.strftime("%Y%m%d")
    later = (city.day + dt.timedelta(days=5)).strftime("%Y%m%d")
    rows = [
        "record_type,bank_code,branch_code,seq,notice_number,installment_no,amount,paid_on,booked_on",
        f"D,0001,001,1,{notice},1,1000,{day},{day}",
        f"D,0001,001,2,X9-999999,1,2500,{day},{day}",
        f"D,0001,001,3,{notice},1,700,{later},{later}",
        "T,3,4200",
    ]
    path = folder / f"ocr-{day}.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path, notice


def test_a_cashier_imports_a_bank_file_assigns_the_unmatched_payment_and_reads_the_daily_totals(
    console_stack, browser, city, artifacts
):
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    url = console_stack.console.url
    browser.sign_in(url, "shuno01")
    browser.css('nav.menu a[data-menu="receipts"]').click()
    browser.visible("#import-form")
    browser.shot("receipts-import")
    browser.assert_accessible("receipts-import")

    # ファイル取込: choose the kind and the file with the keyboard; htmx posts it and shows progress.
    path, notice = _ocr_file(city, artifacts)
    Select(browser.css("#f-kind")).select_by_value("ocr")
    browser.css("#f-file").send_keys(str(path))
    browser.css("#import-submit").send_keys(Keys.ENTER)
    browser.visible("#count-applied", timeout=120)
    assert "/receipts/imports/" in browser.driver.current_url
    assert browser.css("#count-applied").text == "1 件" and browser.css("#count-unmatched").text == "1 件"
    assert browser.css("#count-held").text == "1 件" and browser.css("#file-total").text == "¥4,200"
    errors = browser.css("#errors").text
    assert "4 行目" in errors and "領収日は業務日より後の日付にできません" in errors  # located, in Japanese
    browser.shot("receipts-import-result")
    browser.assert_accessible("receipts-import-result")

    # The same file again is recognised: nothing is counted twice.
    browser.driver.get(url + "/receipts")
    Select(browser.visible("#f-kind")).select_by_value("ocr")
    browser.css("#f-file").send_keys(str(path))
    browser.css("#import-submit").click()
    browser.visible("#again", timeout=120)

    # 未消込: the unknown 通知書番号's payment, searched by its batch, assigned to a known 期別.
    browser.driver.get(url + "/receipts/unmatched?notice_number=X9-999999")
    link = browser.visible("a[data-assign]")
    assert "¥2,500" in browser.css("#rows").text
    browser.shot("receipts-unmatched")
    browser.assert_accessible("receipts-unmatched")
    link.click()
    browser.visible("#f-notice_number").send_keys("X9-000000")
    browser.css("#f-installment_no").send_keys("1")
    browser.css("#assign").click()
    browser.visible("#refused")  # receipts refuses a 通知書 it does not have: said in Japanese
    assert "調定にありません" in browser.text()
    browser.shot("receipts-assign-refused")
    browser.assert_accessible("receipts-assign-refused")
    field = browser.css("#f-notice_number")
    field.clear()
    field.send_keys(notice)
    browser.css("#assign").send_keys(Keys.ENTER)
    browser.visible("#done")
    assert "消込しました" in browser.text() and "¥2,500" not in browser.css("main").text

    # 保留: the record dated after the business date waits on the suspense list.
    browser.driver.get(url + "/receipts/suspense")
    browser.visible("#rows")
    assert "¥700" in browser.css("#rows").text
    browser.shot("receipts-suspense")
    browser.assert_accessible("receipts-suspense")
    row = next(r for r in browser.all("tr[data-item]") if "¥700" in r.text)
    row.find_element("css selector", "a[data-assign]").click()
    browser.visible("#f-notice_number").send_keys(notice)
    browser.css("#f-installment_no").send_keys("1")
    browser.css("#assign").click()
    # The record's 領収日 is after the business date: receipts refuses it, the field is named.
    browser.visible("#error-summary")
    assert "領収日は業務日より後の日付にできません" in browser.text()
    assert browser.css("#f-paid_on").get_attribute("aria-invalid") == "true"
    browser.shot("receipts-resolve-refused")
    browser.assert_accessible("receipts-resolve")
    for name in ("paid_on", "booked_on"):  # the dates on the bank's paper slip, typed by the clerk
        browser.driver.execute_script(
            "arguments[0].value = arguments[1]", browser.css(f"#f-{name}"), city.day.isoformat()
        )
    browser.css("#assign").click()
    browser.visible("#done")
    assert "保留を解消しました" in browser.text()

    # 日計 of the business date: per channel, and the file reconciled (台帳 + 保留 + 重複 = 合計).
    browser.css('nav.tabs a[data-tab="daily"]').click()
    browser.visible("#totals")
    assert "金融機関窓口（OCR）" in browser.text() and path.name in browser.text()
    browser.visible("#reconciled")  # the resolved item is booked outside the file: still 台帳+保留 = 合計
    assert browser.css("#totals time").get_attribute("title") == city.day.isoformat()
    browser.shot("receipts-daily")
    browser.assert_accessible("receipts-daily")


def _wait_for_download(directory: Path, suffix: str, timeout: float = 30) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = [p for p in directory.iterdir() if p.suffix == suffix]
        if done:
            return done[0]
        time.sleep(0.2)
    raise TimeoutError(f"no {suffix} download in {directory}: {list(directory.iterdir())}")


# -- 還付・充当 ------------------------------------------------------------------------------------------

# The 支出決定 is made on refunds' business date, after the overpayments arose (the day's money was
# booked on the next day) and before the 住民税 2期 (08-31) falls due, so a household that owes
# only 住民税 has nothing payable to appropriate the refund to. Money paid on 06-30 earns 還付加算金
# from 07-01 (過納, 17条の4①一) or 08-01 (誤納, ①四) to the 支出決定日: the explanation has a segment.
DECIDED = dt.date(2026, 8, 28)


def _refunds_api(stack: Stack, user: str) -> httpx.Client:
    token = stack.staff_token(user, ["refunds_staff"])
    return httpx.Client(
        base_url=stack.services["refunds"].url, headers={"Authorization": f"Bearer {token}"}, timeout=30
    )


def _refunds_on(stack: Stack, day: dt.date) -> None:
    """Restart refunds with a new business date (OSAME_BUSINESS_DATE): "today" is the server's."""
    process = stack.services["refunds"]
    assert process.stop() == 0
    process.env["OSAME_BUSINESS_DATE"] = day.isoformat()
    process.start()
    stack.wait_ready(120, ["refunds"])


def _wait_for(condition, timeout: float = 120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.5)
    raise TimeoutError("refunds did not reach the expected state")


def test_refunds_are_prepared_and_approved_by_two_officers_with_explanations_and_files(
    console_stack, browser, city
):
    from osame_zengin import transfer as zengin_transfer

    url = console_stack.console.url
    fixed_asset = {a.addressee_id for a in city.assessments if a.notice_number.startswith("K")}
    with _refunds_api(console_stack, "kanpu02") as api:
        # The day's overpayments are registered; the one of a household owing a past-due 固定資産税
        # installment was appropriated (充当), a 住民税-only household's waits to be refunded.
        applied = _wait_for(lambda: api.get("/appropriations", params={"status": "applied"}).json())
        refund = _wait_for(
            lambda: next(
                (
                    r
                    for r in api.get("/refunds", params={"stage": "to_prepare"}).json()
                    if r["addressee_id"] not in fixed_asset and r["amount"] >= 2_000
                ),
                None,
            )
        )
        _refunds_on(console_stack, DECIDED)
        claim = {  # the taxpayer's 還付請求 with the account to pay into (not a console screen yet)
            "addressee_id": refund["addressee_id"],
            "bank_code": "0001",
            "branch_code": "001",
            "account_type": "1",
            "account_number": "1234567",
            "holder_kana": "ﾃｽﾄ ﾀﾛｳ",
            "claimed_on": DECIDED.isoformat(),
        }
        assert api.post("/refund-claims", json=claim).status_code == 201
    refund_id = refund["refund_id"]

    # 還付・充当担当 kanpu01: the menu entry, the queue to prepare (paged), the refund, 起案.
    browser.sign_in(url, "kanpu01")
    assert "還付・充当" in [a.text for a in browser.all("nav.menu a")]
    browser.css('nav.menu a[data-menu="refunds"]').click()
    browser.visible(f'tr[data-refund="{refund_id}"]')
    assert "起案待ちの還付" in browser.text() and "¥" in browser.text()
    browser.shot("refunds-to-prepare")
    browser.assert_accessible("refunds-to-prepare")
    browser.css(f'tr[data-refund="{refund_id}"] a').click()
    browser.visible("#prepare")
    browser.shot("refund-to-prepare")
    browser.assert_accessible("refund")
    browser.css("#prepare").click()
    browser.wait(lambda d: "起案しました" in browser.text())
    assert browser.css("#prepared-by").text == "kanpu01"

    # The same officer may not approve what they prepared: refunds refuses, the console says why.
    browser.css("#approve").click()
    browser.visible("#refused")
    assert "決裁できません" in browser.text()
    assert "起案した職員は同じ還付を決裁できません" in browser.text()
    assert browser.css("#approved-by").text == "—"
    browser.shot("refund-same-user-refused")
    browser.assert_accessible("refund-refused")

    # サインアウト, then the 係長 kanpu02 approves (決裁・支出決定) from the queue to approve.
    browser.css("form[action='/auth/logout'] button").click()
    browser.wait(lambda d: "/auth/signed-out" in d.current_url)
    browser.sign_in(url, "kanpu02")
    browser.driver.get(url + "/refunds?view=to_approve")
    browser.css(f'tr[data-refund="{refund_id}"] a').click()
    browser.visible("#approve").click()
    browser.wait(lambda d: "決裁しました" in browser.text())
    assert browser.css("#approved-by").text == "kanpu02" and browser.css("#prepared-by").text == "kanpu01"
    assert browser.css("[data-status]").get_attribute("data-status") == "approved"

    # The 還付加算金 of the refunded part opens its explanation: from, to, days, rate, base, basis.
    browser.css("#refund-interest-1 > summary").click()
    part = browser.visible("#refund-interest-1 table").text
    assert "令和8年8月28日" in part and "日" in part and "1.3%" in part and "¥" in part
    assert "17条の4" in browser.css("#refund-interest-1 .basis").text
    hover = browser.css("#refund-interest-1 table time")
    assert hover.get_attribute("title") in ("2026-07-01", "2026-08-01")  # the Western date on hover
    browser.shot("refund-approved-explanation")
    browser.assert_accessible("refund-approved")
    browser.css("#refund-notice").click()
    notice = _wait_for_download(browser.driver.downloads, ".pdf")
    assert notice.read_bytes().startswith(b"%PDF")
    shutil.copy(notice, browser.shots / "還付通知書.pdf")

    # A 充当: its items, 充当適状日, legal basis and interest; the 充当通知書.
    appropriation = applied[0]
    browser.driver.get(f"{url}/refunds/overpayments/{appropriation['overpayment_id']}")
    details = f"#appropriation-{appropriation['appropriation_id']}"
    browser.css(f"{details} > summary").click()
    shown = browser.visible(f"{details} table").text
    assert appropriation["items"][0]["notice_number"] in shown and "¥" in shown
    assert "地方税法17条の2" in browser.css(details).text
    browser.shot("overpayment-appropriation")
    browser.assert_accessible("overpayment")
    browser.css(f'{details} a[data-download="appropriation-notice"]').click()
    _wait_for(lambda: len([p for p in browser.driver.downloads.iterdir() if p.suffix == ".pdf"]) == 2, 30)

    # 総合振込: the file refunds built for the day's approvals, downloaded from the console.
    with _refunds_api(console_stack, "kanpu02") as api:
        built = api.post(
            "/payouts", json={"transfer_date": DECIDED.isoformat(), "approved_on": DECIDED.isoformat()}
        )
        assert built.status_code == 201, built.text
    browser.driver.get(url + "/refunds?view=payouts")
    link = browser.visible(f'tr[data-payout="{built.json()["batch_id"]}"] a[data-download="payout-file"]')
    browser.shot("payouts")
    browser.assert_accessible("payouts")
    link.click()
    payout = _wait_for_download(browser.driver.downloads, ".txt")
    _, [line], trailer = zengin_transfer.parse(payout.read_bytes())
    tail = line.reference.removeprefix("KANPU ")  # the EDI field carries the refund id's tail
    assert line.reference.startswith("KANPU ") and refund_id.replace("-", "").upper().endswith(tail)
    assert trailer["count"] == 1 and line.amount >= refund["amount"]

    # 振込不能: the bank returned the transfer; the list shows it and the refund's state.
    with _refunds_api(console_stack, "kanpu02") as api:
        result = {"ok": False, "on": DECIDED.isoformat(), "reason": "account_closed"}
        assert api.post(f"/refunds/{refund_id}/transfer-result", json=result).status_code == 200
    browser.driver.get(url + "/refunds?view=returned")
    browser.visible(f'#queue a[href="/refunds/{refund_id}"]')
    assert "account_closed" in browser.text()
    browser.shot("returned-transfers")
    browser.assert_accessible("returned")


def test_a_cashier_reads_the_refund_queues_but_cannot_prepare_or_approve(console_stack, browser):
    url = console_stack.console.url
    browser.sign_in(url, "shuno01")  # 収納担当: the three reads, never an action on a refund
    assert [a.text for a in browser.all("nav.menu a")] == ["ホーム", "収納", "還付・充当", "管理"]
    browser.css('nav.menu a[data-menu="refunds"]').click()
    browser.visible("#queue")
    views = [a.get_attribute("data-view") for a in browser.all("nav.tabs a")]
    assert views == ["to_prepare", "to_approve", "to_pay", "planned", "overpayments"]
    browser.shot("refunds-cashier")
    for path in ("/refunds?view=payouts", "/refunds?view=returned"):
        browser.driver.get(url + path)
        assert "権限がありません" in browser.visible("h1").text


# -- 収納訂正 and the audit viewer ---------------------------------------------------------------------


def _correctable_notice(city) -> str:
    """A 通知書番号 with a matched, final receipt of the day that no other test here relies on (not
    the 固定資産税 notices the case and import tests use, nor the unmatched stray)."""
    notices = {a.notice_number for a in city.assessments}
    channels = {"counter", "bank_counter", "mpn", "eltax", "direct_debit"}
    return next(
        r.notice_number
        for r in city.receipts
        if r.notice_number in notices and not r.notice_number.startswith("K") and r.channel.value in channels
    )


def _sign_out(browser) -> None:
    browser.css("form[action='/auth/logout'] button").click()
    browser.wait(lambda d: "/auth/signed-out" in d.current_url)


def test_a_receipt_correction_is_proposed_by_one_cashier_and_approved_by_another(
    console_stack, browser, city
):
    url = console_stack.console.url
    notice = _correctable_notice(city)
    browser.sign_in(url, "shuno01")
    browser.css('nav.menu a[data-menu="receipts"]').click()
    browser.visible('nav.tabs a[data-tab="corrections"]').click()
    browser.visible("#corrections")
    browser.shot("corrections-empty")
    browser.assert_accessible("corrections")

    # 起案: find the receipt by its 通知書番号, open its form, send it blank: each field named.
    browser.css("#new-correction").click()
    browser.visible("#f-notice_number").send_keys(notice)
    browser.css("form.search button").click()
    link = browser.visible("a[data-correct]")
    receipt_id = link.get_attribute("data-correct")
    browser.shot("correction-find")
    browser.assert_accessible("correction-find")
    link.click()
    browser.visible("#propose").click()
    browser.visible("#error-summary")
    summary = browser.css("#error-summary").text
    assert "訂正の種類（取消・移動）を選んでください" in summary and "訂正の理由を入力してください" in summary
    assert browser.css("#f-reason").get_attribute("aria-invalid") == "true"
    browser.shot("correction-refused")
    browser.assert_accessible("correction-refused")
    browser.css("#kind-reverse").click()
    browser.css("#f-reason").send_keys("窓口で同じ納付書を二重に入力した")
    browser.css("#propose").click()
    browser.visible("#done")
    assert "訂正を起案しました" in browser.text()
    row = browser.css("tr[data-correction]")
    correction_id = row.get_attribute("data-correction")
    assert "shuno01" in row.text and "取消" in row.text

    # The proposer may not approve it: receipts refuses, the page says why in Japanese.
    browser.css(f'button[data-approve="{correction_id}"]').click()
    browser.visible("#refused")
    assert "決裁できません" in browser.text() and "訂正を起案した職員は" in browser.text()
    browser.shot("correction-approve-refused")
    browser.assert_accessible("correction-approve-refused")
    _sign_out(browser)

    # Another cashier approves it: the receipt is reversed in receipts.
    browser.sign_in(url, "shuno02")
    browser.driver.get(url + "/receipts/corrections")
    browser.visible(f'button[data-approve="{correction_id}"]').click()
    browser.visible("#done")
    assert "訂正を承認しました" in browser.text()
    decided = browser.css(f'tr[data-correction="{correction_id}"]')
    assert "承認済" in decided.text and "shuno02" in decided.text and "shuno01" in decided.text
    browser.shot("correction-approved")
    browser.assert_accessible("correction-approved")
    token = console_stack.staff_token("shuno02", ["receipts_staff"])
    answer = httpx.get(
        f"{console_stack.services['receipts'].url}/api/receipts/{receipt_id}",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert answer.status_code == 200 and answer.json()["state"] == "reversed"


def test_the_auditor_sees_every_services_chain_and_trail(console_stack, browser):
    url = console_stack.console.url
    browser.sign_in(url, "kansa01")  # 監査担当: *:audit.read
    assert [a.text for a in browser.all("nav.menu a")] == ["ホーム", "管理"]
    browser.css('nav.menu a[data-menu="admin"]').click()
    browser.visible("#chains")
    services = [r.get_attribute("data-service") for r in browser.all("#chains tr[data-service]")]
    assert services == [
        "receipts",
        "refunds",
        "collection",
        "address-sync",
        "intermediate-server-gw",
        "console",
    ]
    for service in services[:-1]:
        # each service answers its chain (intact), or has no such route yet: 未対応, never an error
        status = browser.css(f'#chains tr[data-service="{service}"] [data-chain]').get_attribute("data-chain")
        assert status in ("ok", "unsupported"), service
    assert "連鎖が壊れています" not in browser.text() and "一時的に利用できません" not in browser.text()
    browser.shot("admin-auditor")
    browser.assert_accessible("admin-auditor")

    # collection's trail: newest first, paged, with the staff who acted (tainou01's case work).
    browser.css('#chains tr[data-service="collection"] a').click()
    browser.visible("#trail")
    assert "全 " in browser.css("#trail").text and browser.all("#trail tbody tr")
    browser.shot("admin-audit-collection")
    browser.assert_accessible("admin-audit-collection")
    for service in ("receipts", "refunds", "address-sync", "intermediate-server-gw"):
        browser.driver.get(f"{url}/admin/audit/{service}")
        browser.visible("#trail")
        assert "一時的に利用できません" not in browser.text(), service
        browser.shot(f"admin-audit-{service}")
