"""催告 (reminder letters): campaigns by saved criteria, and the reminder after a breached pledge.

A 催告 is not a statutory step; the first one during the last months of the 時効 suspends its
completion for 6 months (民法150) — each reminder item is recorded as a 時効 event.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from osame_chassis.uow import UnitOfWork
from osame_contracts.messages import collection as contract
from pydantic import BaseModel, Field
from sqlalchemy import insert, select, update

from osame_collection.adapters import batch_sql, late_fee_segments, orm
from osame_collection.adapters.repository import CollectionRepository, event_id
from osame_collection.domain.campaign import CampaignCriteria, OpenItem, addressee_matches
from osame_collection.domain.letters import mailing
from osame_collection.domain.projection import InstallmentStatus
from osame_collection.service_layer import audit, merges, pledges
from osame_collection.service_layer.cases import NotFound
from osame_collection.service_layer.owed import owed_on
from osame_collection.service_layer.policy import DEFAULT_POLICY, CollectionPolicy


class SaveCampaign(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    criteria: CampaignCriteria
    staff_user: str = Field(max_length=64)


class RunCampaign(BaseModel):
    campaign_id: str
    run_on: date
    staff_user: str = Field(max_length=64)


async def save_campaign(command: SaveCampaign, uow: UnitOfWork) -> str:
    campaign_id = str(uuid.uuid4())
    await uow.session.execute(
        insert(orm.campaigns).values(
            campaign_id=campaign_id,
            name=command.name,
            criteria=command.criteria.model_dump(),
            created_by=command.staff_user,
            created_at=datetime.now(UTC),
        )
    )
    await audit.record(uow.session, command.staff_user, "campaign.save", None, {"campaign_id": campaign_id})
    return campaign_id


async def _issue_reminder(
    uow: UnitOfWork,
    addressee_id: str,
    items: list[dict],
    run_on: date,
    reason: str,
    policy: CollectionPolicy,
    *,
    batch_id: str | None = None,
    campaign_id: str | None = None,
    pledge_id: str | None = None,
) -> str:
    repo = CollectionRepository(uow.session)
    lines = await owed_on(repo, items, run_on, policy)
    reminder_id = str(uuid.uuid4())
    rows, explained = [], []
    for i in items:
        key = (i["notice_number"], i["installment_no"])
        line = lines[key].owed
        # what this 催告書 prints explains itself (B5): the segments of its 延滞金, stored with it
        explained += late_fee_segments.rows_of(
            "reminder", reminder_id, key, lines[key].explained(i["tax_item"])
        )
        rows.append(
            {
                "reminder_id": reminder_id,
                "notice_number": i["notice_number"],
                "installment_no": i["installment_no"],
                "principal_tax_due": line.principal_tax,
                # not computable (unpriced period): the last accrued amount, flagged by the batch
                "late_fee_accrued": i["late_fee"] if line.late_fee is None else line.late_fee,
                "demand_fee_due": line.demand_fee,
            }
        )
    await uow.session.execute(
        insert(orm.reminders).values(
            reminder_id=reminder_id,
            batch_id=batch_id,
            addressee_id=addressee_id,
            issued_on=run_on,
            reason=reason,
            campaign_id=campaign_id,
            pledge_id=pledge_id,
            total_due=sum(r["principal_tax_due"] + r["late_fee_accrued"] + r["demand_fee_due"] for r in rows),
        )
    )
    await uow.session.execute(insert(orm.reminder_items), rows)
    await late_fee_segments.store(uow.session, explained)
    addressee = await repo.addressee(addressee_id)
    for i in items:
        key = (i["notice_number"], i["installment_no"])
        *_, hold = mailing(addressee, await repo.mailing_override(addressee_id, i["tax_item"]))
        if hold is not None:
            continue  # a 催告 never mailed suspends nothing (issue #12 defect 7)
        await repo.add_limitation_event(
            event_id("reminder", reminder_id, key), key, "reminder", run_on, reminder_id
        )
    return reminder_id


async def run_campaign(
    command: RunCampaign, uow: UnitOfWork, *, policy: CollectionPolicy = DEFAULT_POLICY
) -> dict:
    """一斉催告: one 催告 per selected addressee naming the matching installments."""
    policy.check_typed("run_on", command.run_on)
    campaign = (
        (
            await uow.session.execute(
                select(orm.campaigns).where(orm.campaigns.c.campaign_id == command.campaign_id)
            )
        )
        .mappings()
        .first()
    )
    if campaign is None:
        raise NotFound("unknown_campaign")
    criteria = CampaignCriteria.model_validate(campaign["criteria"])
    B = orm.batches
    done = (
        await uow.session.execute(
            select(B.c.summary).where(
                B.c.kind == "campaign",
                B.c.campaign_id == command.campaign_id,
                B.c.run_on == command.run_on,
                B.c.status == "done",
            )
        )
    ).first()
    if done is not None:  # idempotent per run: the same campaign on the same day sends nothing twice
        return {**done[0], "repeated": True}
    repo = CollectionRepository(uow.session)
    batch_id = str(uuid.uuid4())
    await uow.session.execute(
        insert(orm.batches).values(
            batch_id=batch_id,
            kind="campaign",
            run_on=command.run_on,
            campaign_id=command.campaign_id,
            status="running",
            started_at=datetime.now(UTC),
            staff_user=command.staff_user,
        )
    )
    # the 督促 guards apply to 催告 too: pending 速報, unreflected receipt, 督促停止, 猶予; and nobody under
    # 執行停止 or on an active 分納誓約 is sent a 催告 (issue #12 defect 9)
    guarded = await batch_sql.guarded_installments(uow.session, command.run_on)
    pledged = await batch_sql.pledged_installments(uow.session)
    excluded = await _excluded_addressees(uow, command.run_on)
    by_addressee: dict[str, list[dict]] = {}
    skipped = {"guarded_installments": 0, "pledged_installments": 0, "excluded_addressees": 0}
    for item in await repo.open_installments():
        key = (item["notice_number"], item["installment_no"])
        if key in guarded:
            skipped["guarded_installments"] += 1
            continue
        if key in pledged:  # 履行監視 follows them; a breach sends its own 催告
            skipped["pledged_installments"] += 1
            continue
        by_addressee.setdefault(item["addressee_id"], []).append(item)
    for addressee_id in excluded & set(by_addressee):
        del by_addressee[addressee_id]
        skipped["excluded_addressees"] += 1
    assignees = {
        a: s
        for a, s in (await uow.session.execute(select(orm.cases.c.addressee_id, orm.cases.c.assignee))).all()
    }
    postal = {
        a: p
        for a, p in (
            await uow.session.execute(select(orm.addressees.c.addressee_id, orm.addressees.c.postal_code))
        ).all()
    }
    sent = 0
    for addressee_id, items in sorted(by_addressee.items()):
        views = [
            OpenItem(
                i["addressee_id"],
                i["notice_number"],
                i["installment_no"],
                i["tax_item"],
                i["due_date"],
                max(0, i["principal_tax"] - i["paid"]),
                i["demand_issued_on"] is not None,
                i["status"] == InstallmentStatus.CHARGES.value,
            )
            for i in items
        ]
        chosen = addressee_matches(
            criteria, postal.get(addressee_id, ""), assignees.get(addressee_id), views, command.run_on
        )
        if not chosen:
            continue
        keys = {(c.notice_number, c.installment_no) for c in chosen}
        await _issue_reminder(
            uow,
            addressee_id,
            [i for i in items if (i["notice_number"], i["installment_no"]) in keys],
            command.run_on,
            "campaign",
            policy,
            batch_id=batch_id,
            campaign_id=command.campaign_id,
        )
        sent += 1
    summary = {"batch_id": batch_id, "campaign_id": command.campaign_id, "reminders": sent, **skipped}
    await uow.session.execute(
        update(orm.batches)
        .where(orm.batches.c.batch_id == batch_id)
        .values(
            status="done",
            finished_at=datetime.now(UTC),
            total=len(by_addressee),
            processed=len(by_addressee),
            summary=summary,
        )
    )
    await audit.record(uow.session, command.staff_user, "campaign.run", None, summary)
    return summary


async def _excluded_addressees(uow: UnitOfWork, on: date) -> set[str]:
    """Addressees under a 執行停止 in force on ``on``."""
    S = orm.enforcement_stays
    stayed = await uow.session.execute(
        select(S.c.addressee_id).where(
            S.c.decided_on <= on, (S.c.cancelled_on.is_(None)) | (S.c.cancelled_on > on)
        )
    )
    return {a for (a,) in stayed.all()}


async def send_breach_reminder(
    event: contract.PledgeBreached, uow: UnitOfWork, *, policy: CollectionPolicy
) -> str | None:
    """The 催告 after a missed pledge payment (consumer of collection.pledge.breached.v1); idempotent."""
    held = (
        await uow.session.execute(
            select(orm.reminders.c.reminder_id).where(
                orm.reminders.c.pledge_id == event.pledge_id, orm.reminders.c.reason == "pledge_breach"
            )
        )
    ).first()
    if held is not None:
        return held[0]
    addressee_id = await merges.current(uow, event.addressee_id)  # merged since the breach: the survivor
    # the same guards as the 督促 batch and the campaigns (held, unconfirmed, 猶予 in force)
    guarded = await batch_sql.guarded_installments(uow.session, event.detected_on)
    covered = await pledges.covered_installments(uow.session, event.pledge_id)  # None: every one
    items = [
        i
        for i in await CollectionRepository(uow.session).open_installments(addressee_id)
        if (key := (i["notice_number"], i["installment_no"])) not in guarded
        and (covered is None or key in covered)
    ]
    if not items:
        return None
    reminder_id = await _issue_reminder(
        uow, addressee_id, items, event.detected_on, "pledge_breach", policy, pledge_id=event.pledge_id
    )
    await audit.record(
        uow.session,
        "system",
        "reminder.pledge_breach",
        addressee_id,
        {"pledge_id": event.pledge_id, "reminder_id": reminder_id},
    )
    return reminder_id
