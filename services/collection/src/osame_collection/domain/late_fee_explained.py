"""Every 延滞金 explains itself (issue #12 B5): the segments the law library priced it with — from,
to, days, base, rate, yen — each with its legal basis, as the case view and letters show them.

Basis (our reading [L], checked against the law library's own citations): the tax's 延滞金 article
(法326 市町村民税, 369 固定資産税, 463条の24 軽自動車税 種別割, 723 国民健康保険税), the rate of the
tier under 附則3条の2① (延滞金特例基準割合: +1 % in the first month, +7.3 % after, capped at 7.3 /
14.6 %), a relief (執行停止 法15条の9① etc.) where the rate was lowered, and the rounding of
法20条の4の2 (base floored to 1,000 yen, total to 100 yen, nothing under 1,000 yen).
"""

from __future__ import annotations

from datetime import date

from osame_law import Tier

ARTICLES = {
    "resident_tax": "地方税法326条",
    "fixed_asset_tax": "地方税法369条",
    "light_vehicle_tax": "地方税法463条の24",
    "health_insurance_tax": "地方税法723条",
}
TIER_BASIS = {
    Tier.FIRST: "納期限の翌日から1月を経過する日まで: 附則3条の2①（特例基準割合+1%、上限7.3%）",
    Tier.SECOND: "1月経過後: 附則3条の2①（特例基準割合+7.3%、上限14.6%）",
}
RELIEF_BASIS = {
    "enforcement_stay": "執行停止中の免除（法15条の9①）",
    "collection_deferral_disaster": "徴収猶予（災害等）中の免除（法15条の9①）",
    "collection_deferral_business": "徴収猶予中の減免（法15条の9②）",
    "conversion_deferral": "換価の猶予中の減免（法15条の9②）",
}
ROUNDING_BASIS = "端数: 法20条の4の2（基礎1,000円未満切捨、延滞金100円未満切捨、1,000円未満は不徴収）"


def basis(segment, tax_item: str) -> str:
    parts = [ARTICLES.get(tax_item, "地方税法（税目の延滞金条項）")]
    if segment.tier is not None:
        parts.append(TIER_BASIS[segment.tier])
    if segment.relief:
        parts.append(RELIEF_BASIS.get(segment.relief, segment.relief))
    return "; ".join(parts)


def explain(segments, tax_item: str) -> list[dict]:
    """JSON-ready segments of one 延滞金, in date order."""
    return [
        {
            "from": s.start.isoformat(),
            "to": s.end.isoformat(),
            "days": s.days,
            "base": s.base,
            "rate": str(s.rate),
            "normal_rate": str(s.normal_rate),
            "yen": s.yen,
            "tier": s.tier.value if s.tier is not None else None,
            "relief": s.relief,
            "basis": basis(s, tax_item),
        }
        for s in segments
    ]


def printed(segment: dict, wareki) -> str:
    """One segment as a letter prints it: 期間, 日数, 基礎額, 割合, 金額 (``wareki`` formats a date)."""
    start, end = (wareki(date.fromisoformat(segment[k])) for k in ("from", "to"))
    relief = "（減免）" if segment["relief"] else ""
    return (
        f"{start}～{end} {segment['days']}日 × {segment['base']:,}円 × 年{segment['rate']}%{relief}"
        f" = {segment['yen']:,}円"
    )
