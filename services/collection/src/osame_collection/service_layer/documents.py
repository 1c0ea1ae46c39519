"""差押調書 and 執行停止通知書: the records they are printed from (``domain.legal_documents``)."""

from __future__ import annotations

from osame_chassis.errors import PermanentError
from osame_chassis.uow import UnitOfWork
from sqlalchemy import select

from osame_collection.adapters import orm
from osame_collection.adapters.repository import CollectionRepository
from osame_collection.domain.stay import Stay, StayGround
from osame_collection.service_layer.cases import NotFound
from osame_collection.service_layer.owed import owed_on
from osame_collection.service_layer.policy import DEFAULT_POLICY, CollectionPolicy


async def seizure_record(
    uow: UnitOfWork, disposition_id: str, policy: CollectionPolicy = DEFAULT_POLICY
) -> tuple[dict, list[dict]]:
    """The 差押 and its installments with 本税 and 延滞金 owed on the 差押 day."""
    D = orm.dispositions
    row = (
        (await uow.session.execute(select(D).where(D.c.disposition_id == disposition_id))).mappings().first()
    )
    if row is None:
        raise NotFound("unknown_disposition")
    if row["kind"] not in ("seizure", "joint_seizure"):
        raise PermanentError("not_a_seizure")
    repo = CollectionRepository(uow.session)
    keys = [tuple(k) for k in row["installments"]]
    installments = await repo.installment_rows(keys)
    owed = await owed_on(repo, installments, row["executed_on"], policy)
    items = []
    for item in sorted(installments, key=lambda i: (i["due_date"], i["notice_number"], i["installment_no"])):
        line = owed[(item["notice_number"], item["installment_no"])]
        items.append(
            {
                "fiscal_year": item["fiscal_year"],
                "tax_item": item["tax_item"],
                "installment_no": item["installment_no"],
                "due_date": item["due_date"],
                "principal_tax_due": line.owed.principal_tax,
                "late_fee": line.owed.late_fee or 0,
            }
        )
    return dict(row), items


async def stay_notice(uow: UnitOfWork, stay_id: str) -> tuple[dict, object]:
    """The 執行停止 and the day its 3-year extinction would take effect."""
    S = orm.enforcement_stays
    row = (await uow.session.execute(select(S).where(S.c.stay_id == stay_id))).mappings().first()
    if row is None:
        raise NotFound("unknown_stay")
    stay = Stay(
        StayGround(row["ground"]), row["decided_on"], row["cancelled_on"], row["immediate_extinction"]
    )
    return dict(row), stay.extinguished_on()
