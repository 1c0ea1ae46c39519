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
}


def label(kind: str, code) -> str:
    if code is None or code == "":
        return "—"
    return VOCABULARY.get(kind, {}).get(str(code), str(code))


def choices(kind: str) -> list[tuple[str, str]]:
    """(code, name) in a stable order, for a <select>."""
    return list(VOCABULARY[kind].items())
