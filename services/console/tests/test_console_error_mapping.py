"""The BFF error mapping: what a user is told for each answer of a service (domain.errors)."""

from __future__ import annotations

import pytest
from osame_console.domain.errors import (
    Outcome,
    field_errors,
    field_label,
    forbidden,
    located_message,
    map_upstream,
    reason_message,
)


@pytest.mark.parametrize(
    ("status", "outcome", "console_status", "title"),
    [
        (401, Outcome.SIGN_IN_AGAIN, 401, "サインインし直してください"),
        (403, Outcome.FORBIDDEN, 403, "権限がありません"),
        (404, Outcome.NOT_FOUND, 404, "見つかりません"),
        (409, Outcome.CONFLICT, 409, "他の操作と競合しました"),
        (422, Outcome.INVALID, 422, "入力内容を確認してください"),
        (400, Outcome.INVALID, 422, "入力内容を確認してください"),
        (500, Outcome.UNAVAILABLE, 503, "一時的に利用できません"),
        (502, Outcome.UNAVAILABLE, 503, "一時的に利用できません"),
        (503, Outcome.UNAVAILABLE, 503, "一時的に利用できません"),
        (None, Outcome.UNAVAILABLE, 503, "一時的に利用できません"),  # timeout / no answer
    ],
)
def test_each_status_maps_to_one_outcome(status, outcome, console_status, title):
    error = map_upstream(status, "some_code")
    assert (error.outcome, error.status, error.title) == (outcome, console_status, title)


def test_unavailable_asks_to_retry_and_shows_nothing_of_the_service():
    error = map_upstream(500, "Traceback (most recent call last): secret")
    assert "しばらくしてから再度お試しください" in error.message
    assert "Traceback" not in error.message and error.code is None and error.fields == {}


def test_a_validation_code_becomes_one_japanese_message_per_field():
    error = map_upstream(
        422,
        "invalid body: contacted_on:date_from_datetime_parsing, summary:string_too_short, channel:literal_error",
    )
    assert error.fields == {
        "contacted_on": "折衝日を正しい日付で入力してください（例: 2026-07-10）",
        "summary": "折衝内容を入力してください",
        "channel": "折衝方法は選択肢から選んでください",
    }


def test_a_missing_field_in_the_short_form():
    assert field_errors("batch_date: missing") == {"batch_date": "処理日を入力してください"}


def test_nested_locations_name_the_row_the_person_sees():
    assert field_label("schedule.0.amount") == "分納計画 1行目の金額"
    assert field_label("holder.name") == "名義人の氏名"
    errors = field_errors("invalid body: schedule.2.due_on:missing, holder.name:string_too_short")
    assert errors["schedule.2.due_on"] == "分納計画 3行目の納付予定日を入力してください"
    assert errors["holder.name"] == "名義人の氏名を入力してください"


def test_a_model_level_error_has_no_field():
    assert field_errors("invalid body: <body>:value_error") == {"<body>": "入力内容の内容が正しくありません"}


def test_reason_codes_are_explained_and_arguments_kept():
    assert (
        reason_message("merged_into:100002")
        == "この宛名は名寄せにより統合されています（統合先の宛名番号: 100002）。"
    )
    assert map_upstream(404, "unknown_addressee").message == "この宛名番号の記録はありません。"
    assert map_upstream(422, "enforcement_stay_in_force").message == "執行停止中のため、差押はできません。"
    assert field_errors("merged_into:100002") == {}  # a reason code is not a field


def test_an_unknown_code_is_shown_for_the_help_desk():
    error = map_upstream(422, "pledge_overlaps")
    assert error.fields == {}
    assert error.message == "入力内容を受け付けられませんでした。（理由コード: pledge_overlaps）"
    assert map_upstream(409, "already_decided").message.endswith("（理由コード: already_decided）")


def test_the_console_refuses_with_the_same_words_as_a_service():
    assert forbidden() == map_upstream(403)


@pytest.mark.parametrize(
    ("code", "fields"),
    [
        ("notice_number is required", {"notice_number": "通知書番号を入力してください"}),
        (
            "installment_no must be a non-negative integer",
            {"installment_no": "期別は0以上の半角数字で入力してください"},
        ),
        (
            "booked_on must be an ISO date",
            {"booked_on": "収入日を正しい日付で入力してください（例: 2026-07-10）"},
        ),
        (
            "paid_on 2026-07-05 is after the business date 2026-06-30",
            {"paid_on": "領収日は業務日より後の日付にできません"},
        ),
        (
            "booked_on 2031-01-01 is outside the plausible window 2021-06-30..2026-07-30 (mistyped year or era?)",
            {"booked_on": "収入日が業務日から離れすぎています（年・元号の誤りはありませんか）"},
        ),
        ("no such installment in the ledger", {}),
    ],
)
def test_receipts_refusals_name_the_field_in_japanese(code, fields):
    """receipts answers sentences ('<field> is required', its date checks), never the value typed."""
    assert field_errors(code) == fields
    error = map_upstream(422, code)
    assert error.fields == fields
    if not fields:
        assert error.message == "その通知書番号・期別は調定にありません。通知書番号と期別を確認してください。"


@pytest.mark.parametrize(
    ("message", "shown"),
    [
        (
            "paid_on 2026-07-05 is after the business date 2026-06-30",
            "領収日は業務日より後の日付にできません",
        ),
        ("not a positive integer yen amount", "金額が正の整数（円）ではありません"),
        ("unknown bank code (zengin-code master)", "金融機関コードが全銀協の金融機関一覧にありません"),
        ("a phrase receipts adds later", "a phrase receipts adds later"),  # shown as it is
        (None, ""),
    ],
)
def test_located_errors_of_an_imported_file_in_japanese(message, shown):
    assert located_message(message) == shown


def test_a_worklist_refused_by_collection():
    """collection's answers to `GET /worklists/{kind}`: another 担当's list without worklists.team,
    and a value it refuses (named by field)."""
    assert map_upstream(403, "forbidden").title == "権限がありません"
    refused = map_upstream(422, "invalid query: per_page:less_than_equal")
    assert refused.outcome is Outcome.INVALID and refused.status == 422
