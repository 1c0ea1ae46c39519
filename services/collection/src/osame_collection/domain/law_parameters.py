"""Law and city practice as versioned data (issue #12 B7): the 督促 data cut-off, the 指定期限 of a
催告書 and the 充当 order — each a row with an effective date and its source, the row in force on a
day being the latest one effective on or before it. Pure: the rows come from ``law_parameters``
(loaded by the law command, ``service_layer.law_changes``) on top of the built-in rows below.

| name | value | rule checked on load | source |
|---|---|---|---|
| ``demand_cutoff_business_days`` | N business days after the (shifted) 納期限 before a 督促 (the 行き違い allowance) | every 納期限 of the two years from the row's date can still be dunned within 法329①'s 20 days (``osame_law.demand_notice_deadline``) | city practice (issue #12 defect 2); the 20 days: 地方税法329条① |
| ``reminder_deadline_days`` | days from the issue of a 催告書 to its 指定期限 (then moved past closed days, 法20条の5②) | 1–60 | city practice, UNCONFIRMED for Takaoka (14 seen elsewhere) |
| ``appropriation_order`` | ``{kind_order, group_order}`` of ``osame_law.appropriation`` | every kind once; the tax before its own 延滞金 (法17条の2③) | 法17条の2, 施行令6条の14 (充当適状); the rest of the order is city practice (domain-rules §10.2, §10.3) |

Collection uses the 充当 order for what money beyond the 本税 pays first (督促手数料 or 延滞金,
``domain.projection.owed``); receipts applies it to a 充当 (its own copy, loaded the same way).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from osame_law import AppropriationPolicy, ClaimKind, GroupOrder, demand_cutoff, demand_notice_deadline

DEMAND_CUTOFF = "demand_cutoff_business_days"
REMINDER_DEADLINE = "reminder_deadline_days"
APPROPRIATION_ORDER = "appropriation_order"
NAMES = (DEMAND_CUTOFF, REMINDER_DEADLINE, APPROPRIATION_ORDER)
CHECKED_YEARS = 2  # a cut-off row must keep every 納期限 of this many years dunnable in time
EPOCH = date(2000, 1, 1)


class ParameterRefused(ValueError):
    """A row the law does not allow; the message is a reason code (no personal data)."""


@dataclass(frozen=True)
class ParameterRow:
    name: str
    effective_from: date
    value: object
    source: str


def built_in(cutoff_days: int) -> tuple[ParameterRow, ...]:
    """The rows before anything is loaded: the cut-off setting, 14 days, osame_law's default order."""
    default = AppropriationPolicy()
    return (
        ParameterRow(DEMAND_CUTOFF, EPOCH, cutoff_days, "setting OSAME_DEMAND_CUTOFF_BUSINESS_DAYS"),
        ParameterRow(REMINDER_DEADLINE, EPOCH, 14, "city practice (UNCONFIRMED for Takaoka)"),
        ParameterRow(
            APPROPRIATION_ORDER,
            EPOCH,
            {"kind_order": [k.value for k in default.kind_order], "group_order": default.group_order.value},
            "osame_law.appropriation default (domain-rules §10.2, §10.3; 法17条の2③)",
        ),
    )


def appropriation_policy(value: dict) -> AppropriationPolicy:
    """The ``osame_law`` policy of an order row (refused when it breaks 法17条の2③)."""
    try:
        return AppropriationPolicy(
            tuple(ClaimKind(k) for k in value["kind_order"]),
            GroupOrder(value.get("group_order", "oldest_first")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ParameterRefused(f"appropriation_order:{exc}") from exc


def check(row: ParameterRow) -> None:
    """Refuse a row the law does not allow (see the module table)."""
    if row.name == DEMAND_CUTOFF:
        n = row.value
        if not isinstance(n, int) or isinstance(n, bool) or not 0 <= n <= 15:
            raise ParameterRefused("demand_cutoff_business_days:out_of_range")
        end = row.effective_from.replace(year=row.effective_from.year + CHECKED_YEARS)
        due = row.effective_from
        while due < end:  # a batch after the cut-off must still be within 法329①'s 20 days
            if demand_cutoff(due, n) + timedelta(days=1) > demand_notice_deadline(due):
                raise ParameterRefused(f"demand_cutoff_business_days:beyond_20_days_for_{due.isoformat()}")
            due += timedelta(days=1)
    elif row.name == REMINDER_DEADLINE:
        if not isinstance(row.value, int) or isinstance(row.value, bool) or not 1 <= row.value <= 60:
            raise ParameterRefused("reminder_deadline_days:out_of_range")
    elif row.name == APPROPRIATION_ORDER:
        if not isinstance(row.value, dict):
            raise ParameterRefused("appropriation_order:not_an_object")
        appropriation_policy(row.value)
    else:
        raise ParameterRefused(f"unknown_parameter:{row.name}")


@dataclass(frozen=True)
class LawParameters:
    """Every row by name; ``on(name, day)`` is the row in force on ``day``."""

    rows: tuple[ParameterRow, ...]

    @classmethod
    def of(cls, base: Iterable[ParameterRow], loaded: Iterable[ParameterRow]) -> LawParameters:
        """``loaded`` rows replace a built-in row of the same name and date."""
        by_key = {(r.name, r.effective_from): r for r in base}
        by_key.update({(r.name, r.effective_from): r for r in loaded})
        return cls(tuple(sorted(by_key.values(), key=lambda r: (r.name, r.effective_from))))

    def row_on(self, name: str, day: date) -> ParameterRow:
        found = [r for r in self.rows if r.name == name and r.effective_from <= day]
        if not found:
            raise ParameterRefused(f"{name}:no_row_for_{day.isoformat()}")
        return found[-1]

    def on(self, name: str, day: date):
        return self.row_on(name, day).value

    def cutoff_days(self, day: date) -> int:
        return self.on(DEMAND_CUTOFF, day)

    def reminder_deadline_days(self, day: date) -> int:
        return self.on(REMINDER_DEADLINE, day)

    def appropriation(self, day: date) -> AppropriationPolicy:
        return appropriation_policy(self.on(APPROPRIATION_ORDER, day))

    def fee_first(self, day: date) -> bool:
        """Whether money beyond the 本税 pays the 督促手数料 before the 延滞金 on ``day``."""
        order = self.appropriation(day).kind_order
        return order.index(ClaimKind.DEMAND_FEE) < order.index(ClaimKind.LATE_FEE)
