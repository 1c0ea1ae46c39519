"""Law as data, changed behind a recalculation preview (issue #12 B6/B7, defect 12).

A change is a set of 延滞金 rate rows (calendar years; a loaded year may be replaced, a built-in
year of ``osame_law`` may not) and 督促手数料 rows (the city's fee from an effective date, earlier
than 2024-03-25 too: the city sets its own). ``preview`` recomputes with ``osame_law`` every amount
the change affects — the 延滞金 of each owing installment under the current and the proposed
tables, the 督促手数料 of each served 督促 — and lists the differences per taxpayer (宛名番号 and
通知書番号, no names). ``apply`` stores the rows (source, who, when; audited with the values they
replace), writes the new 延滞金 and publishes them (``LateFeesAssessed``, a new version each) like
any recompute. Applying the same change again finds nothing to change.

Parameter rows (``domain.law_parameters``: the 督促 data cut-off, the 催告書 指定期限 days, the 充当
order), each with an effective date and source, checked against the law on load (法329①'s 20 days,
法17条の2③); the preview lists the 督促手数料 / 延滞金 still owed that a new 充当 order splits
differently and the installments whose first 督促 day a new cut-off moves
(``service_layer.law_parameter_changes``); apply stores them, audited with the row each replaces.

Chosen: a fee change that would alter the 督促手数料 of a 督促 already served is shown by the
preview but refused by ``apply`` (``demand_fee_change_affects_served_notices``): the fee is the
ordinance's on the issue day and is already charged on the ledger, which takes one fee per 督促.
A day the proposed tables do not price is counted as ``unpriced`` and never applied as 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from osame_chassis.errors import PermanentError
from osame_chassis.uow import UnitOfWork
from osame_contracts.messages import collection as contract
from osame_law import DemandFeeRule, DemandFeeSchedule, LawError, RateTable
from osame_law.plausibility import DateWindow
from osame_law.rates.table import RATE_ROWS
from pydantic import BaseModel, Field, model_validator
from sqlalchemy import delete, insert, select

from osame_collection.adapters import late_fee_segments, orm
from osame_collection.adapters.repository import CollectionRepository, merge_fee_rules, rate_row
from osame_collection.domain.late_fee_explained import explain
from osame_collection.domain.law_parameters import LawParameters, ParameterRefused, ParameterRow, check
from osame_collection.domain.projection import OWING
from osame_collection.service_layer import audit, law_parameter_changes
from osame_collection.service_layer.law_rates import RateYears, to_rate_row
from osame_collection.service_layer.ledger_states import late_fee_now
from osame_collection.service_layer.policy import CollectionPolicy
from osame_collection.service_layer.publishing import publish_bulk

I, DN = orm.installments, orm.demand_notices  # noqa: E741
LOCAL_TAX_ACT = date(
    1950, 7, 31
)  # 地方税法 (昭和25年法律第226号) promulgated: no row can take effect before it
AHEAD_DAYS = 366  # a row is loaded at most a year before it takes effect


class FeeRow(BaseModel):
    effective_from: date
    fee: int = Field(ge=0, le=100_000, description="督促手数料 in yen per 督促状")
    source: str = Field(min_length=3, max_length=300, description="条例 / 告示 the fee comes from")


class ParameterIn(BaseModel):
    """A versioned law / practice row (``domain.law_parameters``): cut-off, 指定期限 days, 充当 order."""

    name: Literal["demand_cutoff_business_days", "reminder_deadline_days", "appropriation_order"]
    effective_from: date
    value: int | dict = Field(
        description="days (int), or {kind_order: [...], group_order} for the 充当 order"
    )
    source: str = Field(min_length=3, max_length=300, description="条例 / 規則 / 要綱 / 告示 it comes from")


class LawChange(BaseModel):
    rates: list[RateYears] = Field(default_factory=list, max_length=20)
    demand_fees: list[FeeRow] = Field(default_factory=list, max_length=50)
    parameters: list[ParameterIn] = Field(default_factory=list, max_length=20)
    staff_user: str = Field(min_length=1, max_length=64)

    @model_validator(mode="after")
    def _something(self):
        if not self.rates and not self.demand_fees and not self.parameters:
            raise ValueError("a law change needs at least one rate, fee or parameter row")
        if len({(p.name, p.effective_from) for p in self.parameters}) != len(self.parameters):
            raise ValueError("two parameter rows share a name and an effective date")
        if len({r.first_year for r in self.rates}) != len(self.rates):
            raise ValueError("two rate rows start in the same year")
        if len({f.effective_from for f in self.demand_fees}) != len(self.demand_fees):
            raise ValueError("two fee rows share an effective date")
        return self


@dataclass
class _Tables:
    rates_now: RateTable
    rates_after: RateTable
    fees_now: DemandFeeSchedule
    fees_after: DemandFeeSchedule
    replaced_rates: dict[int, dict]
    replaced_fees: dict[date, dict]
    params_now: LawParameters
    params_after: LawParameters
    replaced_params: dict[tuple[str, date], dict]


def check_effective_dates(change: LawChange, business_date: date) -> None:
    """A mistyped year (2062 for 2026) would load a row that silently never applies, or rewrite
    history: every effective date lies between the 地方税法 and a year after the business date."""
    window = DateWindow(LOCAL_TAX_ACT, business_date + timedelta(days=AHEAD_DAYS))
    for fee in change.demand_fees:
        window.check("demand_fees.effective_from", fee.effective_from)
    for row in change.parameters:
        window.check("parameters.effective_from", row.effective_from)


async def _tables(change: LawChange, uow: UnitOfWork, policy: CollectionPolicy) -> _Tables:
    check_effective_dates(change, policy.business_date())
    session = uow.session
    held = {r["first_year"]: dict(r) for r in (await session.execute(select(orm.law_rates))).mappings()}
    built_in = {y for r in RATE_ROWS for y in range(r.first_year, r.last_year + 1)}
    new = [to_rate_row(r) for r in change.rates]
    if any(y in built_in for r in new for y in range(r.first_year, r.last_year + 1)):
        raise PermanentError("rates_refused:a built-in year of the law library cannot be replaced")
    kept = [rate_row(h) for year, h in held.items() if year not in {r.first_year for r in new}]
    try:
        rates_now = RateTable([*RATE_ROWS, *(rate_row(h) for h in held.values())])
        rates_after = RateTable([*RATE_ROWS, *kept, *new])
    except LawError as exc:
        raise PermanentError(f"rates_refused:{exc}") from exc
    fees_now = await CollectionRepository(session).demand_fee_schedule(policy.demand_fees)
    fees_after = merge_fee_rules(
        fees_now, [DemandFeeRule(f.effective_from, f.fee, f.source) for f in change.demand_fees]
    )
    held_fees = {
        r["effective_from"]: dict(r) for r in (await session.execute(select(orm.law_demand_fees))).mappings()
    }
    params_now = await CollectionRepository(session).law_parameters(policy.demand_cutoff_business_days)
    proposed = [ParameterRow(p.name, p.effective_from, p.value, p.source) for p in change.parameters]
    try:
        for row in proposed:
            check(row)
    except ParameterRefused as exc:
        raise PermanentError(f"parameters_refused:{exc}") from exc
    held_params = {
        (r["name"], r["effective_from"]): dict(r)
        for r in (await session.execute(select(orm.law_parameters))).mappings()
    }
    return _Tables(
        rates_now,
        rates_after,
        fees_now,
        fees_after,
        {r.first_year: held[r.first_year] for r in new if r.first_year in held},
        {
            f.effective_from: held_fees[f.effective_from]
            for f in change.demand_fees
            if f.effective_from in held_fees
        },
        params_now,
        LawParameters.of(params_now.rows, proposed),
        {
            (r.name, r.effective_from): held_params[(r.name, r.effective_from)]
            for r in proposed
            if (r.name, r.effective_from) in held_params
        },
    )


async def _late_fee_diff(change: LawChange, uow: UnitOfWork, policy: CollectionPolicy, t: _Tables):
    """Owing installments whose 延滞金 differs under the proposed rates: [(row, before, after, to)]."""
    if not change.rates:
        return [], 0
    last = max(r.last_year for r in change.rates)
    query = select(I).where(
        I.c.status.in_(OWING), I.c.written_off_on.is_(None), I.c.due_date < date(last + 1, 1, 1)
    )
    rows = [dict(r) for r in (await uow.session.execute(query)).mappings()]
    keys = [(r["notice_number"], r["installment_no"]) for r in rows]
    repo = CollectionRepository(uow.session)
    today = policy.business_date()
    payments = await repo.payments_for(keys)
    exempt = await repo.exempt_intervals_for(keys, today)
    out, unpriced = [], 0
    for row, key in zip(rows, keys, strict=True):
        args = (row, payments.get(key, []), exempt.get(key, []), today, policy)
        try:
            before = late_fee_now(*args, t.rates_now)[0]
        except LawError:
            before = None  # unpriced today: the change may price it
        try:
            after, computed_to, segments = late_fee_now(*args, t.rates_after)
        except LawError:
            unpriced += 1
            continue
        if before != after:
            out.append((row, before, after, computed_to, segments))
    return out, unpriced


async def _demand_fee_diff(change: LawChange, uow: UnitOfWork, t: _Tables):
    """Served 督促 whose 督促手数料 differs under the proposed fee rows: [(notice row, after)]."""
    if not change.demand_fees:
        return []
    first = min(f.effective_from for f in change.demand_fees)
    query = select(DN).where(DN.c.served_on.is_not(None), DN.c.issued_on >= first)
    out = []
    for row in (await uow.session.execute(query)).mappings():
        after = t.fees_after.fee_on(row["issued_on"])
        if after != row["demand_fee"]:
            out.append((dict(row), after))
    return out


def _by_taxpayer(late: list, fees: list, orders: list = (), cutoffs: list = ()) -> list[dict]:
    out: dict[str, dict[tuple[str, int], dict]] = {}
    for row, now, then in orders:
        line = out.setdefault(row["addressee_id"], {}).setdefault(
            (row["notice_number"], row["installment_no"]), {}
        )
        line["charges_owed"] = {
            "before": {"demand_fee": now.demand_fee, "late_fee": now.late_fee},
            "after": {"demand_fee": then.demand_fee, "late_fee": then.late_fee},
        }
    for row, before, after in cutoffs:
        line = out.setdefault(row["addressee_id"], {}).setdefault(
            (row["notice_number"], row["installment_no"]), {}
        )
        line["demand_from"] = {"before": before.isoformat(), "after": after.isoformat()}
    for row, before, after, _to, _segments in late:
        line = out.setdefault(row["addressee_id"], {}).setdefault(
            (row["notice_number"], row["installment_no"]), {}
        )
        line["late_fee"] = {"held": row["late_fee"], "before": before, "after": after}
    for row, after in fees:
        line = out.setdefault(row["addressee_id"], {}).setdefault(
            (row["notice_number"], row["installment_no"]), {}
        )
        line["demand_fee"] = {
            "before": row["demand_fee"],
            "after": after,
            "demand_notice_id": row["demand_notice_id"],
        }
    return [
        {
            "addressee_id": addressee,
            "items": [
                {"notice_number": n, "installment_no": i, **line} for (n, i), line in sorted(lines.items())
            ],
        }
        for addressee, lines in sorted(out.items())
    ]


async def preview(change: LawChange, uow: UnitOfWork, *, policy: CollectionPolicy) -> dict:
    """What applying ``change`` would change, per taxpayer; nothing is written."""
    t = await _tables(change, uow, policy)
    late, unpriced = await _late_fee_diff(change, uow, policy, t)
    fees = await _demand_fee_diff(change, uow, t)
    orders = await law_parameter_changes.order_diff(uow, policy, t.params_now, t.params_after)
    cutoffs = await law_parameter_changes.cutoff_diff(uow, policy, t.params_now, t.params_after)
    return {
        "as_of": policy.business_date().isoformat(),
        "late_fees_changed": len(late),
        "demand_fees_changed": len(fees),
        "charges_split_changed": len(orders),
        "demand_dates_moved": len(cutoffs),
        "unpriced": unpriced,
        "taxpayers": _by_taxpayer(late, fees, orders, cutoffs),
    }


async def apply(change: LawChange, uow: UnitOfWork, *, policy: CollectionPolicy) -> dict:
    """Store the rows, write the recomputed 延滞金 and publish them; audited."""
    t = await _tables(change, uow, policy)
    late, unpriced = await _late_fee_diff(change, uow, policy, t)
    fees = await _demand_fee_diff(change, uow, t)
    if fees:
        raise PermanentError("demand_fee_change_affects_served_notices")
    session, now = uow.session, datetime.now(UTC)
    if change.rates:
        await session.execute(
            delete(orm.law_rates).where(orm.law_rates.c.first_year.in_([r.first_year for r in change.rates]))
        )
        await session.execute(
            insert(orm.law_rates),
            [{**r.model_dump(), "loaded_by": change.staff_user, "loaded_at": now} for r in change.rates],
        )
    if change.demand_fees:
        dates = [f.effective_from for f in change.demand_fees]
        await session.execute(
            delete(orm.law_demand_fees).where(orm.law_demand_fees.c.effective_from.in_(dates))
        )
        await session.execute(
            insert(orm.law_demand_fees),
            [
                {**f.model_dump(), "loaded_by": change.staff_user, "loaded_at": now}
                for f in change.demand_fees
            ],
        )
    if change.parameters:
        for p in change.parameters:
            await session.execute(
                delete(orm.law_parameters).where(
                    orm.law_parameters.c.name == p.name,
                    orm.law_parameters.c.effective_from == p.effective_from,
                )
            )
        await session.execute(
            insert(orm.law_parameters),
            [{**p.model_dump(), "loaded_by": change.staff_user, "loaded_at": now} for p in change.parameters],
        )
    repo = CollectionRepository(session)
    writes, items, explained = [], [], []
    for row, _before, after, computed_to, segments in late:
        version = row["late_fee_version"] + 1
        key = (row["notice_number"], row["installment_no"])
        if row["paid"] >= row["principal_tax"]:  # a 確定延滞金 changed: its new segments are stored
            explained += late_fee_segments.rows_of(
                "fixed", str(version), key, explain(segments, row["tax_item"])
            )
        writes.append(
            {
                "k_notice": row["notice_number"],
                "k_installment": row["installment_no"],
                "late_fee": after,
                "late_fee_on": computed_to,
                "late_fee_version": version,
            }
        )
        items.append(
            contract.AssessedLateFee(
                addressee_id=row["addressee_id"],
                notice_number=row["notice_number"],
                installment_no=row["installment_no"],
                late_fee=after,
                computed_to=computed_to,
                fixed=row["paid"] >= row["principal_tax"],
                version=version,
            )
        )
    await repo.update_installments(writes)
    await late_fee_segments.store(session, explained)
    await repo.refresh_status([(w["k_notice"], w["k_installment"]) for w in writes])
    await publish_bulk(
        uow, contract.LateFeesAssessed, items, lambda part: contract.LateFeesAssessed(items=part)
    )
    await audit.record(
        session,
        change.staff_user,
        "law.change.apply",
        None,
        {
            "rates": [
                {"row": r.model_dump(), "replaces": _plain(t.replaced_rates.get(r.first_year))}
                for r in change.rates
            ],
            "demand_fees": [
                {"row": f.model_dump(mode="json"), "replaces": _plain(t.replaced_fees.get(f.effective_from))}
                for f in change.demand_fees
            ],
            "parameters": [
                {
                    "row": p.model_dump(mode="json"),
                    "replaces": _plain(t.replaced_params.get((p.name, p.effective_from))),
                }
                for p in change.parameters
            ],
            "late_fees_changed": len(late),
            "unpriced": unpriced,
        },
    )
    return {"applied": True, "late_fees_changed": len(late), "demand_fees_changed": 0, "unpriced": unpriced}


def _plain(row: dict | None) -> dict | None:
    """A replaced row for the audit trail (dates as ISO text; who/when loaded it kept)."""
    if row is None:
        return None
    return {k: v.isoformat() if isinstance(v, date | datetime) else v for k, v in row.items()}


__all__ = ["FeeRow", "LawChange", "ParameterIn", "apply", "preview"]
