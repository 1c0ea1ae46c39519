"""保存期間 of what address-sync holds, as retention rules (issue 13); run by `POST /ops/retention`.

| record | kept after | setting (default) | legal basis / need |
|---|---|---|---|
| 宛名 of a person gone (死亡 / 転出), with their sealed 個人番号, 住基 history, 支援措置, 送付先, 名寄せ as merged, 訂正・利用停止 requests | 死亡日 / 転出日 | `OSAME_RETENTION_ADDRESSEE_GONE_YEARS` (7) | 番号法 §20 (特定個人情報の保管制限) and 個人情報保護法 §61②: kept while tax may still be collected from or refunded to them — 5-year 時効 (地方税法 §18, §18の3) plus time for a 時効の更新 to show; the city may align it with its 文書管理規程 (UNCONFIRMED [L]); a person who came back (no 転出 any more) or is merged into another is not "gone" |
| sealed 個人番号 in superseded 住基 異動 history | `received_at` | `OSAME_RETENTION_RESIDENT_HISTORY_YEARS` (5) | 番号法 §20: a superseded entry (not the person's latest) is kept only for 取消 of recent changes; the latest entry of each person always stays |
| income queries noted (release window) | `noted_at` | `OSAME_RETENTION_NOTED_QUERY_DAYS` (90) | needed only to tie a 個人番号 release to a real query within its window |

The audit log (every access, and each 個人番号 release as a `my-number.release` entry) is an
audit trail (keyed chain, append-only at the database level) and is not deleted here.
"""

from __future__ import annotations

from datetime import timedelta

from osame_chassis.retention import Child, RetentionPeriods, Rule, years
from pydantic import Field
from sqlalchemy import exists, func, select

from osame_address_sync.adapters import orm


class AddressSyncRetention(RetentionPeriods):
    addressee_gone_years: int = Field(
        default=7,
        ge=5,
        description="OSAME_RETENTION_ADDRESSEE_GONE_YEARS: the 宛名 (and sealed 個人番号) of a person who died or "
        "moved out kept this long after (番号法 §20; at least the 5-year 時効 of 地方税法 §18)",
    )
    resident_history_years: int = Field(
        default=5,
        ge=1,
        description="OSAME_RETENTION_RESIDENT_HISTORY_YEARS: superseded 住基 異動 entries (with their sealed "
        "個人番号) kept (番号法 §20); the latest entry per person always stays",
    )
    noted_query_days: int = Field(
        default=90,
        ge=1,
        description="OSAME_RETENTION_NOTED_QUERY_DAYS: income queries noted for 個人番号 release",
    )


def rules(periods: AddressSyncRetention | None = None) -> list[Rule]:
    p = periods or AddressSyncRetention()
    a, rc = orm.addressees, orm.resident_changes
    later = rc.alias()
    by_person = ("addressee_id", "addressee_id")
    gone_since = func.coalesce(a.c.deceased_on, a.c.moved_out_on)
    gone_period = years(p.addressee_gone_years)

    def gone(cutoff):
        return a.c.merged_into.is_(None) & (gone_since < cutoff.date())

    def person_going(cutoff_history):  # their whole history goes with them: counted there, once
        cutoff = cutoff_history + timedelta(days=years(p.resident_history_years) - gone_period)
        return exists(select(a.c.addressee_id).where(a.c.addressee_id == rc.c.addressee_id, gone(cutoff)))

    return [
        Rule(
            a,
            None,
            gone_period,
            "番号法 §20 / 個人情報保護法 §61②: a person gone past the 時効 period",
            where=gone,
            children=(
                Child(orm.my_numbers, *by_person),
                Child(rc, *by_person),
                Child(orm.protections, *by_person),
                Child(orm.protection_decisions, *by_person),
                Child(orm.mailing_overrides, *by_person),
                Child(orm.income_queries_noted, *by_person),
                Child(orm.data_requests, *by_person),
                Child(orm.merges, "merged_addressee_id", "addressee_id"),
            ),
        ),
        Rule(
            rc,
            "received_at",
            years(p.resident_history_years),
            "番号法 §20: superseded 住基 history; the latest entry stays",
            where=lambda cutoff: (
                exists(
                    select(later.c.change_id).where(
                        later.c.addressee_id == rc.c.addressee_id, later.c.sequence > rc.c.sequence
                    )
                )
                & ~person_going(cutoff)
            ),
        ),
        Rule(orm.income_queries_noted, "noted_at", p.noted_query_days, "個人番号 release window only"),
    ]
