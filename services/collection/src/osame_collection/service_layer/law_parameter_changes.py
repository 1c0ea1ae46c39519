"""What a change of the versioned law parameters (``domain.law_parameters``) changes, for the
law-change preview (issue #12 B6/B7): the 督促手数料 / 延滞金 still owed when the 充当 order puts
the other first, and the first batch day able to dun an installment when the cut-off moves."""

from __future__ import annotations

from datetime import date, timedelta

from osame_chassis.uow import UnitOfWork
from osame_law import demand_cutoff

from osame_collection.adapters.repository import CollectionRepository
from osame_collection.domain.law_parameters import LawParameters
from osame_collection.service_layer.owed import owed_on
from osame_collection.service_layer.policy import CollectionPolicy


async def order_diff(uow: UnitOfWork, policy: CollectionPolicy, now_: LawParameters, after_: LawParameters):
    """Owing installments whose 督促手数料 / 延滞金 still owed split differently under the proposed
    充当 order on the business date (money beyond the 本税 paying the fee or the 延滞金 first)."""
    today = policy.business_date()
    before, after = now_.fee_first(today), after_.fee_first(today)
    if before == after:
        return []
    repo = CollectionRepository(uow.session)
    items = await repo.owing_with_demand_fee()
    now = await owed_on(repo, items, today, policy, fee_first=before)
    then = await owed_on(repo, items, today, policy, fee_first=after)
    out = []
    for item in items:
        key = (item["notice_number"], item["installment_no"])
        if now[key].owed != then[key].owed:
            out.append((item, now[key].owed, then[key].owed))
    return out


async def cutoff_diff(uow: UnitOfWork, policy: CollectionPolicy, now_: LawParameters, after_: LawParameters):
    """Undunned open installments whose first batch day able to dun them moves under the proposed
    cut-off rows (the day after the cut-off in force then)."""
    today = policy.business_date()
    if now_.rows == after_.rows:
        return []
    # older 納期限 are past every cut-off (≤ 20 days, 法329①): the next batch duns them either way
    items = await CollectionRepository(uow.session).undunned_open_due_since(today - timedelta(days=40))
    out = []
    for item in items:
        before, after = (_first_dunnable(p, item["due_date"]) for p in (now_, after_))
        if before != after:
            out.append((item, before, after))
    return out


def _first_dunnable(params: LawParameters, due: date) -> date:
    """The first batch day after the cut-off of ``due`` under the rows in force then."""
    day = due + timedelta(days=1)
    while demand_cutoff(due, params.cutoff_days(day)) >= day:
        day += timedelta(days=1)
    return day
