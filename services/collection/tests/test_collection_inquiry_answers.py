"""財産調査 answers (issue #12 capabilities): bank and employer answers recorded with the holder as
the answer gives them (kana name, birth date) and used by the F12 match of a 差押; the holder's data
never reaches a log, the audit trail or the case view."""

from __future__ import annotations

import datetime as dt
import json
import logging

import pytest
from osame_collection.domain import seizure as sz

from .test_collection_cases_http import SEIZURE, A, issuer, seed  # noqa: F401 (fixture)
from .test_collection_worklists import staff_client

D = dt.date
TODAY = D(2027, 3, 31)
ROLES = {"collection_staff": ["collection:*"]}
OURS = sz.Identity("試験 太郎", D(1980, 1, 1), "富山県高岡市試験町1番1号", "シケン タロウ")


@pytest.mark.parametrize(
    ("kana", "expected"),
    [
        ("ｼｹﾝ ﾀﾛｳ", "シケンタロウ"),  # 全銀 half-width kana
        ("しけん　たろう", "シケンタロウ"),  # hiragana, full-width space
        ("ｷｯﾄ ｼｮｳｺ", "キツトシヨウコ"),  # small letters written full-size by banks
        ("キツト　シヨウコ", "キツトシヨウコ"),
    ],
)
def test_kana_key(kana, expected):
    assert sz.kana_key(kana) == expected


@pytest.mark.parametrize(
    ("holder", "result"),
    [  # F12 (practice §3): a name plus birth date or address; kana when the answer has no kanji
        (sz.Identity("", D(1980, 1, 1), "", "ｼｹﾝ ﾀﾛｳ"), sz.MatchResult.NAME_AND_BIRTH_DATE),
        (sz.Identity("", None, "富山県高岡市試験町１番１号", "ｼｹﾝ ﾀﾛｳ"), sz.MatchResult.NAME_AND_ADDRESS),
        (sz.Identity("", None, "東京都", "ｼｹﾝ ﾀﾛｳ"), sz.MatchResult.NAME_ONLY),
        (sz.Identity("", D(1980, 1, 1), "", "ｼｹﾝ ｼﾞﾛｳ"), sz.MatchResult.NO_MATCH),
        # a kanji name given is decisive: the same kana does not rescue a different kanji name
        (sz.Identity("試験 次郎", D(1980, 1, 1), "", "シケン タロウ"), sz.MatchResult.NO_MATCH),
        (sz.Identity("試験　太郎", D(1980, 1, 1)), sz.MatchResult.NAME_AND_BIRTH_DATE),
    ],
)
def test_f12_match_with_kana(holder, result):
    assert sz.match_holder(OURS, holder) is result
    assert sz.match_holder(sz.Identity("", None, "", ""), holder) is sz.MatchResult.NO_MATCH


@pytest.fixture
async def client(service, issuer):  # noqa: F811
    async with staff_client(service, issuer, ROLES, TODAY) as c:
        yield c


async def inquiry(client, kind="bank") -> str:
    made = await client.post(f"/cases/{A}/inquiries", json={"kind": kind, "requested_on": "2026-09-01"})
    assert made.status_code == 201, made.text
    return made.json()["result"]


BANK = {"bank_code": "0001", "branch_code": "123", "account_type": "ordinary", "balance": 180_000}


async def test_a_recorded_answer_is_what_the_seizure_matches(service, client, caplog):
    caplog.set_level(logging.DEBUG, logger="osame")
    await seed(service)
    query_id = await inquiry(client)
    holder = {"name_kana": "ｼｹﾝ ﾀﾛｳ", "address": "富山県高岡市試験町１番１号"}
    answered = await client.post(
        f"/inquiries/{query_id}/answers", json={"answered_on": "2026-09-10", "holder": holder, "bank": BANK}
    )
    assert answered.status_code == 201, answered.text
    good = answered.json()["result"]
    assert (good["match"], good["accepted"]) == ("name_and_address", True)
    # an answer naming the same kana at another address is kept, but no 差押 can rely on it
    elsewhere = {"name_kana": "ｼｹﾝ ﾀﾛｳ", "address": "東京都千代田区1-1"}
    weak = await client.post(
        f"/inquiries/{query_id}/answers",
        json={"answered_on": "2026-09-11", "holder": elsewhere, "bank": BANK},
    )
    assert weak.json()["result"]["match"] == "name_only"
    await client.post("/batches/nightly", json={"batch_date": "2026-07-15"})
    seizure = {k: v for k, v in SEIZURE.items() if k != "holder"}
    refused = await client.post(
        f"/cases/{A}/dispositions", json={**seizure, "answer_id": weak.json()["result"]["answer_id"]}
    )
    assert (refused.status_code, refused.json()["error"]) == (422, "holder_not_matched:name_only")
    early = await client.post(
        f"/cases/{A}/dispositions",
        json={**seizure, "answer_id": good["answer_id"], "executed_on": "2026-09-09"},
    )
    assert early.json()["error"] == "executed_on:before_answered_on"
    salary = await client.post(
        f"/cases/{A}/dispositions",
        json={**seizure, "answer_id": good["answer_id"], "property_type": "salary"},
    )
    assert salary.json()["error"] == "answer_kind_mismatch"
    ok = await client.post(f"/cases/{A}/dispositions", json={**seizure, "answer_id": good["answer_id"]})
    assert ok.status_code == 201, ok.text
    assert ok.json()["result"]["match"] == "name_and_address"
    # the holder's data stays in inquiry_answers: not in the view, the audit trail or any log line
    view = json.dumps((await client.get(f"/cases/{A}?as_of=2026-12-01")).json(), ensure_ascii=False)
    assert len(json.loads(view)["inquiry_answers"]) == 2 and '"bank_code": "0001"' in view
    trail = json.dumps((await client.get(f"/audit?addressee_id={A}")).json(), ensure_ascii=False)
    assert any(e["action"] == "inquiry.bank.answer" for e in json.loads(trail)["entries"])
    for text in (view, trail, caplog.text):
        assert "ｼｹﾝ" not in text and "シケン" not in text and "千代田" not in text


async def test_answers_are_checked(service, client):
    await seed(service)
    query_id = await inquiry(client)
    holder = {"name_kana": "ｼｹﾝ ﾀﾛｳ", "birth_date": "1980-01-01"}

    async def answer(**body):
        response = await client.post(
            f"/inquiries/{query_id}/answers", json={"answered_on": "2026-09-10", "holder": holder, **body}
        )
        return response.status_code, response.json().get("error")

    assert await answer(employment={"employer": "株式会社試験"}) == (422, "answer_kind_mismatch")
    assert await answer(bank=BANK, answered_on="2026-08-31") == (422, "answered_on:before_requested_on")
    assert await answer(bank=BANK, answered_on="2027-04-01") == (422, "answered_on:after_business_date")
    assert (await answer(bank=BANK, holder={"address": "高岡市"}))[0] == 422  # no name at all
    assert (await answer(bank=BANK, employment={"employer": "x"}))[0] == 422  # one property only
    unknown = await client.post(
        "/inquiries/nope/answers", json={"answered_on": "2026-09-10", "holder": holder, "bank": BANK}
    )
    assert unknown.status_code == 404
    employer_query = await inquiry(client, "employer")
    hired = await client.post(
        f"/inquiries/{employer_query}/answers",
        json={
            "answered_on": "2026-09-10",
            "holder": holder,
            "employment": {"employer": "株式会社試験", "monthly_gross": 300_000},
        },
    )
    # kana only, and we hold no birth date (address-sync does not publish it yet): not enough
    assert hired.status_code == 201 and hired.json()["result"]["match"] == "name_only"
