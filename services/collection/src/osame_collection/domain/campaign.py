"""催告 campaigns (一斉催告) by saved criteria: tax item, amount, age, area, assignee.

Criteria are data (saved with the campaign); an addressee is selected when at least one of their
open, 督促-issued installments matches every criterion that is set, and their total unpaid 本税
over the matching installments is within the amount bounds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from pydantic import BaseModel, ConfigDict, Field


class CampaignCriteria(BaseModel):
    """Saved selection of a 催告 campaign. Unset fields do not restrict."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tax_items: list[str] = Field(default_factory=list, description="税目; empty = all")
    min_total: int = Field(default=0, ge=0, description="Σ unpaid 本税 per addressee, at least (yen)")
    max_total: int | None = Field(default=None, ge=0, description="Σ unpaid 本税 per addressee, at most")
    min_days_overdue: int = Field(default=0, ge=0, description="Age: days past the 納期限, at least")
    postal_prefixes: list[str] = Field(
        default_factory=list, description="Area: postal-code prefixes (e.g. '933'); empty = all"
    )
    assignees: list[str] = Field(default_factory=list, description="担当者; empty = all")
    require_demand: bool = Field(default=True, description="Only installments already dunned (督促済)")


@dataclass(frozen=True)
class OpenItem:
    addressee_id: str
    notice_number: str
    installment_no: int
    tax_item: str
    due_date: date
    unpaid: int  # 本税 still owed
    demanded: bool
    owes_charges: bool = False  # 本税 paid, 督促手数料 / 延滞金 still owed (a debt like any other)


def item_matches(criteria: CampaignCriteria, item: OpenItem, run_on: date) -> bool:
    if criteria.tax_items and item.tax_item not in criteria.tax_items:
        return False
    if criteria.require_demand and not item.demanded:
        return False
    owes = item.unpaid > 0 or item.owes_charges
    return item.due_date <= run_on - timedelta(days=criteria.min_days_overdue) and owes


def addressee_matches(
    criteria: CampaignCriteria, postal_code: str, assignee: str | None, items: list[OpenItem], run_on: date
) -> list[OpenItem]:
    """The items a 催告 to this addressee names (empty: not selected)."""
    if criteria.postal_prefixes and not any(
        postal_code.replace("-", "").startswith(p.replace("-", "")) for p in criteria.postal_prefixes
    ):
        return []
    if criteria.assignees and assignee not in criteria.assignees:
        return []
    chosen = [i for i in items if item_matches(criteria, i, run_on)]
    total = sum(i.unpaid for i in chosen)
    if not chosen or total < criteria.min_total:
        return []
    if criteria.max_total is not None and total > criteria.max_total:
        return []
    return chosen
