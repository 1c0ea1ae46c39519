"""軽JNKS export file: one CSV row per vehicle (標識番号); see docs/formats/kei-jnks.md."""

from __future__ import annotations

import csv
import io

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from osame_receipts.adapters import orm
from osame_receipts.domain.kei_jnks import VehicleInstallment, VehicleStatus, vehicle_status

COLUMNS = [
    "vehicle_plate",
    "fiscal_year",
    "assessed",
    "paid",
    "status",
    "last_paid_on",
    "prior_arrears",
    "prior_arrears_amount",
    "prior_arrears_years",
]


async def load(session: AsyncSession, fiscal_year: int) -> list[VehicleStatus]:
    n, i, r = orm.notices.c, orm.installments.c, orm.receipts.c
    last_paid = (
        select(r.notice_number, r.installment_no, func.max(r.paid_on).label("last_paid_on"))
        .where(r.state == "final", r.applied > 0)
        .group_by(r.notice_number, r.installment_no)
        .subquery()
    )
    query = (
        select(
            n.vehicle_plate,
            n.fiscal_year,
            n.notice_number,
            i.principal_tax,
            i.paid,
            i.written_off_on,
            last_paid.c.last_paid_on,
        )
        .select_from(
            orm.notices.join(orm.installments, i.notice_number == n.notice_number).outerjoin(
                last_paid,
                (last_paid.c.notice_number == i.notice_number)
                & (last_paid.c.installment_no == i.installment_no),
            )
        )
        .where(n.tax_item == "light_vehicle_tax", n.vehicle_plate.is_not(None), n.fiscal_year <= fiscal_year)
        .order_by(n.vehicle_plate, n.fiscal_year)
    )
    by_plate: dict[str, list[VehicleInstallment]] = {}
    for row in (await session.execute(query)).all():
        by_plate.setdefault(row.vehicle_plate, []).append(
            VehicleInstallment(
                row.vehicle_plate,
                row.fiscal_year,
                row.notice_number,
                row.principal_tax,
                row.paid,
                row.last_paid_on,
                row.written_off_on is not None,
            )
        )
    return [vehicle_status(plate, fiscal_year, items) for plate, items in sorted(by_plate.items())]


def to_csv(statuses: list[VehicleStatus]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for s in statuses:
        writer.writerow(
            [
                s.vehicle_plate,
                s.fiscal_year,
                s.assessed,
                s.paid,
                s.status,
                s.last_paid_on.isoformat() if s.last_paid_on else "",
                "1" if s.prior_arrears else "0",
                s.prior_arrears_amount,
                " ".join(str(y) for y in s.prior_arrears_years),
            ]
        )
    return out.getvalue().encode("utf-8")
