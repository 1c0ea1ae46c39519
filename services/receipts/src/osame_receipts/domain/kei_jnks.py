"""軽JNKS (軽自動車税納付確認システム): per-vehicle payment status by 標識番号.

The 軽自動車検査協会 checks at 継続検査 whether the vehicle's 軽自動車税 種別割 is paid; paper is
still needed when there are arrears on the vehicle, including a previous owner's (interfaces.md
§5). So the status is per plate, across owners: this year's installments and any unpaid prior year.
The exact upload record is not public (§5 "not found"); the CSV is Osame's (docs/formats/kei-jnks.md).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class VehicleInstallment:
    vehicle_plate: str
    fiscal_year: int
    notice_number: str
    principal_tax: int
    paid: int
    last_paid_on: dt.date | None
    written_off: bool = False

    @property
    def unpaid(self) -> int:
        return 0 if self.written_off else max(self.principal_tax - self.paid, 0)


@dataclass(frozen=True)
class VehicleStatus:
    vehicle_plate: str
    fiscal_year: int
    assessed: int
    paid: int
    status: str  # paid | unpaid | partly_paid | not_assessed
    last_paid_on: dt.date | None
    prior_arrears: bool
    prior_arrears_amount: int
    prior_arrears_years: tuple[int, ...]


def vehicle_status(plate: str, fiscal_year: int, items: list[VehicleInstallment]) -> VehicleStatus:
    current = [i for i in items if i.fiscal_year == fiscal_year]
    prior = [i for i in items if i.fiscal_year < fiscal_year and i.unpaid > 0]
    assessed = sum(i.principal_tax for i in current)
    paid = sum(min(i.paid, i.principal_tax) for i in current)
    unpaid = sum(i.unpaid for i in current)
    if not current:
        status = "not_assessed"
    elif unpaid == 0:
        status = "paid"
    elif paid == 0:
        status = "unpaid"
    else:
        status = "partly_paid"
    dates = [i.last_paid_on for i in current if i.last_paid_on]
    return VehicleStatus(
        vehicle_plate=plate,
        fiscal_year=fiscal_year,
        assessed=assessed,
        paid=paid,
        status=status,
        last_paid_on=max(dates) if dates else None,
        prior_arrears=bool(prior),
        prior_arrears_amount=sum(i.unpaid for i in prior),
        prior_arrears_years=tuple(sorted({i.fiscal_year for i in prior})),
    )
