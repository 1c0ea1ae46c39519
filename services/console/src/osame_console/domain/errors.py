"""What the user is told when a service answers with an error (BFF error mapping).

| service answer            | the user sees                                   | console answers |
|---------------------------|--------------------------------------------------|-----------------|
| 401 (token expired/revoked)| サインインし直してください (session ended)      | redirect to sign-in |
| 403                       | 権限がありません                                  | 403 |
| 404                       | 見つかりません + what (by the service's code)     | 404 |
| 409                       | 他の操作と競合しました                            | 409 |
| 400 / 422                 | the form again, each field's message in Japanese | 422 |
| 5xx, timeout, no answer   | 一時的に利用できません。しばらくしてから再度…      | 503 |

Services answer `{"error": code}`; a validation code lists `field:type` pairs (never values,
`osame_chassis.messaging.consumer.describe_validation_error`). Codes carry no personal data, so
an unknown code may be shown as a 理由コード for the help desk. No stack trace or upstream body
ever reaches the page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

SEPARATION_OF_DUTIES = (
    "the approver must be a different staff member from the preparer (separation of duties)"
)

# receipts' 収納訂正: the proposer may not decide the same correction (its 422, a sentence).
CORRECTION_SEPARATION = (
    "the approver must be a different staff member from the proposer (separation of duties)"
)
SEPARATION = {
    SEPARATION_OF_DUTIES: "起案した職員は同じ還付を決裁できません。別の職員（決裁権限のある職員）が決裁してください。",
    CORRECTION_SEPARATION: "訂正を起案した職員は、同じ訂正を承認・却下できません。別の職員（収納の係長など）が判断してください。",
}


class Outcome(StrEnum):
    SIGN_IN_AGAIN = "sign_in_again"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    INVALID = "invalid"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True)
class UserError:
    outcome: Outcome
    status: int
    title: str
    message: str
    fields: dict[str, str] = field(default_factory=dict)
    code: str | None = None


FIELD_LABELS: dict[str, str] = {
    "addressee_id": "宛名番号",
    "name_kana": "カナ氏名",
    "assignee": "担当者",
    "contacted_on": "折衝日",
    "channel": "折衝方法",
    "summary": "折衝内容",
    "signed_on": "誓約日",
    "schedule": "分納計画",
    "due_on": "納付予定日",
    "amount": "金額",
    "grace_days": "猶予日数",
    "kind": "種別",
    "requested_on": "照会日",
    "fiscal_year": "対象年度",
    "detail": "照会先・内容",
    "executed_on": "執行日",
    "property_type": "財産の種類",
    "holder": "名義人",
    "name": "氏名",
    "address": "住所",
    "birth_date": "生年月日",
    "deposit_balance": "預金残高",
    "related_id": "対象の差押",
    "ground": "停止の理由",
    "decided_on": "決定日",
    "immediate_extinction": "即時消滅",
    "installments": "対象の期別",
    "batch_date": "処理日",
    "batch_id": "バッチ番号",
    "refund_id": "還付番号",
    "overpayment_id": "過誤納金番号",
    "appropriation_id": "充当番号",
    "page": "ページ",
    "notice_number": "通知書番号",
    "installment_no": "期別",
    "paid_on": "領収日",
    "booked_on": "収入日",
    "paid_from": "領収日（から）",
    "paid_to": "領収日（まで）",
    "file": "ファイル",
    "receipt_id": "訂正する収納",
    "reason": "訂正の理由",
    "suspense_id": "保留番号",
    "note": "処理内容",
    "status": "状態",
    "limit": "件数",
}

# pydantic error types → what is wrong, after the field's label.
TYPE_MESSAGES: dict[str, str] = {
    "missing": "を入力してください",
    "string_too_short": "を入力してください",
    "string_too_long": "が長すぎます",
    "string_pattern_mismatch": "の形式が正しくありません",
    "string_type": "を文字で入力してください",
    "int_parsing": "は半角数字で入力してください",
    "int_type": "は半角数字で入力してください",
    "int_from_float": "は整数で入力してください",
    "greater_than": "の値が小さすぎます",
    "greater_than_equal": "の値が小さすぎます",
    "less_than": "の値が大きすぎます",
    "less_than_equal": "の値が大きすぎます",
    "literal_error": "は選択肢から選んでください",
    "enum": "は選択肢から選んでください",
    "bool_parsing": "は選択肢から選んでください",
    "too_short": "を1件以上入力してください",
    "too_long": "の件数が多すぎます",
    "value_error": "の内容が正しくありません",
    "extra_forbidden": "は受け付けられない項目です",
}
DATE_MESSAGE = "を正しい日付で入力してください（例: 2026-07-10）"
DEFAULT_TYPE_MESSAGE = "の内容が正しくありません"

# Reason codes the services answer with (no personal data) → a sentence for the user.
REASONS: dict[str, str] = {
    "unknown_addressee": "この宛名番号の記録はありません。",
    "merged_into": "この宛名は名寄せにより統合されています（統合先の宛名番号: {0}）。",
    "no_individual_number": "この宛名に個人番号の記録はありません。",
    "unknown_batch": "このバッチは見つかりません。",
    "unknown_query": "この照会は見つかりません。",
    "unknown_stay": "この執行停止は見つかりません。",
    "enforcement_stay_in_force": "執行停止中のため、差押はできません。",
    "invalid_addressee_id": "宛名番号は半角数字15桁以内で入力してください。",
    # refunds (還付・充当) and receipts' 収納訂正: separation of duties, the queue states.
    **SEPARATION,
    "unknown refund": "この還付は見つかりません。",
    "unknown overpayment": "この過誤納金は見つかりません。",
    "unknown batch": "この総合振込ファイルは見つかりません。",
    "no applied 充当 with this id": "充当通知書は、充当が済んだ（充当済）ものについて作成できます。",
    "no approved refund with this id": "還付通知書は、決裁（支出決定）が済んだ還付について作成できます。",
    "body is not JSON": "送信内容を読み取れませんでした。画面を更新してやり直してください。",
    # receipts (収納): its refusals are sentences without values.
    "no unmatched receipt with this id": "この収納はすでに消込済みか、見つかりません。画面を更新して確認してください。",
    "no such installment in the ledger": "その通知書番号・期別は調定にありません。通知書番号と期別を確認してください。",
    "no held suspense item with this id": "この保留はすでに処理済みか、見つかりません。画面を更新して確認してください。",
    "no import batch with this id": "この取込は見つかりません。",
    "amount differs from the amount the record reported": "金額が記録の金額と異なります。記録の金額は変更できません。",
    "no suspense item with this id": "この保留は見つかりません。",
    "no receipt with this id": "この収納は見つかりません。",
    # receipts' 収納訂正
    "no correction with this id": "この訂正は見つかりません。画面を更新して確認してください。",
    "receipt_id: a correction of this receipt is already pending": "この収納にはすでに承認待ちの訂正があります。承認または却下を待ってください。",
    "the correction is already approved": "この訂正はすでに承認されています（他の職員が判断した可能性があります）。",
    "the correction is already rejected": "この訂正はすでに却下されています（他の職員が判断した可能性があります）。",
}

# receipts' refusals that name a field: '<field> is required', '<field> must be …', and its date
# checks '<field> <date> is after the business date …' (the date is what was typed, not shown).
FIELD_SENTENCES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^([a-z_]+) is required"), "を入力してください"),
    (re.compile(r"^([a-z_]+) must be an ISO date"), DATE_MESSAGE),
    (re.compile(r"^([a-z_]+) must be a non-negative integer"), "は0以上の半角数字で入力してください"),
    (re.compile(r"^([a-z_]+) \S+ is after the business date"), "は業務日より後の日付にできません"),
    (
        re.compile(r"^([a-z_]+) \S+ is outside the plausible window"),
        "が業務日から離れすぎています（年・元号の誤りはありませんか）",
    ),
    (
        re.compile(r"^([a-z_]+) \S+ is (more than \d+ days after|before) "),
        "と他の日付の関係が正しくありません",
    ),
    (re.compile(r"^([a-z_]+) is not in its format"), "の形式が正しくありません"),
    # receipts' 収納訂正 refusals ('<field>: <rule>')
    (re.compile(r"^(reason): a correction needs a reason"), "を入力してください"),
    (re.compile(r"^(reason): at most \d+ characters"), "は200文字以内で入力してください"),
    (re.compile(r"^(kind): must be reverse or move"), "（取消・移動）を選んでください"),
    (re.compile(r"^(notice_number): a move needs the target"), "（移動先）と期別を入力してください"),
    (
        re.compile(r"^(notice_number): a reversal names no target"),
        "は取消では入力しません（移動のときだけ入力してください）",
    ),
    (re.compile(r"^(notice_number): no such 通知書番号 × 期別"), "と期別の組み合わせが調定にありません"),
    (
        re.compile(r"^(notice_number): the target is the installment"),
        "が訂正前と同じ通知書・期別です。移動先を確認してください",
    ),
    (
        re.compile(r"^(notice_number): the target installment is no longer"),
        "（移動先）の期別が調定にありません",
    ),
    (
        re.compile(r"^(receipt_id): only a final receipt"),
        "は確定した収納ではありません（取消済み・速報は訂正できません）",
    ),
    (
        re.compile(r"^(receipt_id): an unmatched receipt"),
        "は未消込です。未消込の画面から通知書・期別を割り当ててください",
    ),
    (
        re.compile(r"^(receipt_id): a 充当 is reversed by refunds"),
        "は充当です。充当の取消は還付・充当の担当が行います",
    ),
    (re.compile(r"^(receipt_id): a 証券 receipt"), "は証券による収納です。不渡の処理で取り消してください"),
    (
        re.compile(r"^(receipt_id): the installment's paid money was moved"),
        "の期別は減額更正・不納欠損で納付額が移っています。過誤納金（還付・充当）で訂正してください",
    ),
    (re.compile(r"^(receipt_id): no receipt with this id"), "が見つかりません"),
)

# receipts' located errors of a file's records (parsers' phrases) → Japanese; others as they are.
LOCATED: dict[str, str] = {
    "not a positive integer yen amount": "金額が正の整数（円）ではありません",
    "not a YYYYMMDD date": "日付（年月日8桁）として読めません",
    "not a 通知書番号": "通知書番号の形式ではありません",
    "unknown bank code (zengin-code master)": "金融機関コードが全銀協の金融機関一覧にありません",
    "not UTF-8": "文字コードがUTF-8ではありません",
    "second trailer": "トレーラレコードが2つあります",
    "record after the trailer": "トレーラレコードの後にレコードがあります",
}


def located_message(message: str | None) -> str:
    """One located error of an imported file in Japanese (the field named), else as receipts said it."""
    text = message or ""
    for pattern, sentence in FIELD_SENTENCES:
        if found := pattern.match(text):
            return field_label(found.group(1)) + sentence
    return LOCATED.get(text, text)


# Refunds' sentences that carry an id (the refund's own, never personal data) → a sentence.
PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"^refund \S+ has not been prepared"),
        "この還付はまだ起案されていません。先に起案してください。",
    ),
    (
        re.compile(
            r"^refund \S+ is (approved|in_payout|paid|cancelled|expired|failed), not pending approval$"
        ),
        "この還付はすでに決裁待ちではありません（他の職員が処理した可能性があります）。画面を更新して確認してください。",
    ),
)

_PAIR = re.compile(r"([A-Za-z0-9_.<>\[\]]+)\s*:\s*([a-z_]+)")


def field_label(location: str) -> str:
    """'schedule.0.amount' → '分納計画 1行目の金額'; unknown names are shown as they are."""
    parts = [p for p in location.split(".") if p and p != "<body>"]
    out: list[str] = []
    for part in parts:
        if part.isdigit():
            out.append(f" {int(part) + 1}行目")
        else:
            label = FIELD_LABELS.get(part, part)
            out.append(("の" if out else "") + label)
    return "".join(out).strip() or "入力内容"


def type_message(error_type: str) -> str:
    if error_type.startswith(("date_", "datetime_")):
        return DATE_MESSAGE
    return TYPE_MESSAGES.get(error_type, DEFAULT_TYPE_MESSAGE)


def _known_type(error_type: str) -> bool:
    return error_type in TYPE_MESSAGES or error_type.startswith(("date_", "datetime_"))


def field_errors(code: str) -> dict[str, str]:
    """{field location: Japanese message} from a validation code such as
    'invalid body: contacted_on:date_from_datetime_parsing, summary:string_too_short' or
    'batch_date: missing'. Empty when the code names no field."""
    validation = code.startswith("invalid body:")
    body = code.split("invalid body:", 1)[1] if validation else code
    errors: dict[str, str] = {}
    for pattern, message in FIELD_SENTENCES:
        if found := pattern.match(code):
            return {found.group(1): field_label(found.group(1)) + message}
    for location, error_type in _PAIR.findall(body):
        if not validation and not _known_type(error_type):
            continue  # a reason code such as 'merged_into:100002', not a field
        key = location.removeprefix("<body>").strip(".") or "<body>"
        errors.setdefault(key, field_label(key) + type_message(error_type))
    return errors


def reason_message(code: str | None) -> str | None:
    """The sentence for a known reason code ('merged_into:100002' included), else None."""
    if not code:
        return None
    for pattern, sentence in PATTERNS:
        if pattern.match(code):
            return sentence
    name, _, argument = code.partition(":")
    template = REASONS.get(code) or REASONS.get(name)
    if template is None:
        return None
    return template.format(argument.strip())


def _with_code(sentence: str, code: str | None) -> str:
    known = reason_message(code)
    if known:
        return known
    return f"{sentence}（理由コード: {code}）" if code else sentence


def map_upstream(status: int | None, code: str | None = None) -> UserError:
    """The user-facing error for a service's answer; `status=None` when it did not answer in time."""
    if status is None or status >= 500:
        return UserError(
            Outcome.UNAVAILABLE,
            503,
            "一時的に利用できません",
            "処理を完了できませんでした。しばらくしてから再度お試しください。"
            "繰り返し表示される場合はシステム管理者に連絡してください。",
        )
    if status == 401:
        return UserError(
            Outcome.SIGN_IN_AGAIN, 401, "サインインし直してください", "サインインの有効期限が切れました。"
        )
    if code in SEPARATION and status in (403, 422):  # refunds answer 403, receipts 422
        return UserError(Outcome.FORBIDDEN, 403, "決裁できません", SEPARATION[code], code=code)
    if status == 403:
        return UserError(
            Outcome.FORBIDDEN, 403, "権限がありません", "この操作を行う権限がありません。", code=code
        )
    if status == 404:
        return UserError(
            Outcome.NOT_FOUND,
            404,
            "見つかりません",
            _with_code("対象の記録が見つかりません。", code),
            code=code,
        )
    if status == 409:
        return UserError(
            Outcome.CONFLICT,
            409,
            "他の操作と競合しました",
            _with_code(
                "他の操作と競合しました。画面を更新して内容を確認してから、やり直してください。", code
            ),
            code=code,
        )
    fields = field_errors(code or "")
    return UserError(
        Outcome.INVALID,
        422,
        "入力内容を確認してください",
        "入力内容に誤りがあります。各項目のメッセージを確認してください。"
        if fields
        else _with_code("入力内容を受け付けられませんでした。", code),
        fields=fields,
        code=code,
    )


def forbidden() -> UserError:
    """The console's own refusal (the user's roles do not grant the action)."""
    return map_upstream(403)


class InputRefused(Exception):
    """The console itself refuses what was typed (e.g. a 宛名番号 that is not one), per field."""

    def __init__(self, fields: dict[str, str]):
        super().__init__(", ".join(sorted(fields)))
        self.fields = fields

    def user_error(self) -> UserError:
        return UserError(
            Outcome.INVALID,
            422,
            "入力内容を確認してください",
            "入力内容に誤りがあります。各項目のメッセージを確認してください。",
            fields=self.fields,
        )
