"""Japanese names of the codes the services answer with (税目, 折衝方法, 処分の種類, …).

An unknown code is shown as it is: a new code in a service never breaks a screen.
"""

from __future__ import annotations

VOCABULARY: dict[str, dict[str, str]] = {
    "tax_item": {
        "resident_tax": "個人住民税",
        "fixed_asset_tax": "固定資産税",
        "light_vehicle_tax": "軽自動車税",
        "health_insurance_tax": "国民健康保険税",
        "corporate_resident_tax": "法人市民税",
    },
    "channel": {"phone": "電話", "visit": "訪問", "counter": "窓口", "letter": "文書", "other": "その他"},
    "inquiry_kind": {
        "bank": "預貯金",
        "employer": "勤務先（給与）",
        "real_estate": "不動産",
        "income": "所得（情報照会）",
    },
    "inquiry_status": {
        "requested": "照会中",
        "recorded": "記録済",
        "answered": "回答あり",
        "refused": "照会不可",
        "no_data": "該当なし",
    },
    "disposition_kind": {
        "seizure": "差押",
        "claim_filing": "交付要求",
        "joint_seizure": "参加差押",
        "distribution": "配当",
        "release": "解除",
    },
    "property_type": {
        "deposit": "預貯金",
        "salary": "給与",
        "pension": "年金",
        "real_estate": "不動産",
        "vehicle": "自動車",
        "movables": "動産",
        "receivable": "債権（その他）",
    },
    "stay_ground": {
        "no_property": "滞納処分をすることができる財産がない（地方税法15条の7第1項第1号）",
        "livelihood": "滞納処分により生活を著しく窮迫させるおそれがある（同第2号）",
        "whereabouts_unknown": "所在及び滞納処分をすることができる財産がともに不明（同第3号）",
    },
    "pledge_status": {"active": "履行中", "breached": "不履行", "completed": "完了", "cancelled": "取消"},
    "reminder_reason": {"campaign": "一斉催告", "pledge_breach": "分納不履行"},
    "write_off_cause": {
        "limitation": "時効",
        "stay_three_years": "執行停止3年経過",
        "immediate_extinction": "即時消滅",
    },
    "batch_status": {"running": "実行中", "done": "完了", "failed": "失敗"},
    "withheld_reason": {
        "receipt": "入金あり（確認待ち）",
        "preliminary": "速報の入金あり",
        "hold": "督促停止中",
        "debit_in_flight": "口座振替の結果待ち",
    },
    "addressee_kind": {"person": "個人", "corporation": "法人"},
    "overpayment_status": {
        "held": "保留中（充当・還付待ち）",
        "appropriated": "充当済",
        "refund_decided": "還付決定",
        "closed": "完了",
        "withdrawn": "取消（収納取消）",
    },
    "overpayment_cause": {
        "reassessment": "更正・決定による減額（過納）",
        "correction_request": "更正の請求による減額",
        "national_tax_change": "国税の更正等に基づく減額",
        "erroneous_payment": "誤納",
    },
    "refund_status": {
        "pending_approval": "決裁待ち",
        "approved": "決裁済（支出決定）",
        "in_payout": "振込ファイル作成済",
        "paid": "支払済",
        "failed": "振込不能",
        "expired": "時効消滅",
        "cancelled": "取消（充当へ）",
    },
    "refund_stage": {
        "to_prepare": "起案待ち",
        "to_approve": "決裁待ち",
        "to_pay": "支払待ち",
    },
    "appropriation_status": {
        "requested": "充当予定（収納の確認待ち）",
        "applied": "充当済",
        "refused": "充当不可",
        "reversed": "取消",
    },
    "interest_kind": {"appropriated": "充当した額", "refunded": "還付する額"},
    "interest_status": {
        "owed": "未払（充当分）",
        "in_refund": "還付に含む",
        "cancelled": "取消",
        "uncomputed": "未計算（利率未設定）",
    },
    "component": {
        "principal_tax": "本税",
        "demand_fee": "督促手数料",
        "late_fee": "延滞金",
        "disposition_cost": "滞納処分費",
        "additional_tax": "加算金",
    },
    "appropriation_order": {"oldest_first": "充当適状日の古い期別から"},
    # 収納 (receipts)
    "receipt_channel": {
        "direct_debit": "口座振替",
        "convenience_store": "コンビニ収納",
        "bank_counter": "金融機関窓口（OCR）",
        "mpn": "マルチペイメント（ペイジー）",
        "eltax": "eLTAX（地方税共通納税）",
        "counter": "窓口",
        "security_instrument": "証券",
        "appropriation": "充当",
    },
    "receipt_state": {"final": "確定", "preliminary": "速報", "reversed": "取消"},
    "import_status": {
        "applied": "取込済",
        "held": "取込済（一部保留）",
        "refused": "受付不可（何も計上せず）",
        "already_imported": "取込済みのファイル",
    },
    "suspense_status": {"held": "保留中", "resolved": "解消済", "returned": "返還済"},
    "suspense_filter": {"resolved": "解消済", "returned": "返還済", "all": "すべて"},
    "correction_kind": {
        "reverse": "取消（この収納をなかったことにする）",
        "move": "移動（別の通知書・期別へ）",
    },
    "correction_status": {"pending": "承認待ち", "approved": "承認済", "rejected": "却下", "all": "すべて"},
    "batch_kind": {"nightly": "夜間バッチ", "campaign": "催告"},
    "skip_reason": {
        "debts_outstanding_appropriated": "未納があるため充当に変更",
        "no_payee_account": "振込口座の届出なし（還付請求待ち）",
        "unknown_bank_or_branch": "金融機関・支店コード不明",
        "payee_name_over_30_bytes": "口座名義が30バイトを超える",
        "payee_name_characters": "口座名義に使えない文字",
    },
}


def label(kind: str, code) -> str:
    if code is None or code == "":
        return "—"
    return VOCABULARY.get(kind, {}).get(str(code), str(code))


def appropriation_rule(rule: str | None) -> str:
    """Refunds' 充当 rule ('oldest_first;demand_fee>principal_tax>late_fee') in words:
    '充当適状日の古い期別から、督促手数料 → 本税 → 延滞金'. Unknown parts are shown as they are."""
    if not rule:
        return "—"
    order, _, components = rule.partition(";")
    parts = [label("appropriation_order", order)]
    if components:
        parts.append(" → ".join(label("component", c) for c in components.split(">")))
    return "、".join(parts)


def choices(kind: str) -> list[tuple[str, str]]:
    """(code, name) in a stable order, for a <select>."""
    return list(VOCABULARY[kind].items())
