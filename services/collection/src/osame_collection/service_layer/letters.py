"""Letters of a batch (督促状 of a nightly batch, 催告書 of a campaign or pledge breach) for printing."""

from __future__ import annotations

from osame_chassis.errors import PermanentError
from osame_chassis.uow import UnitOfWork
from sqlalchemy import select

from osame_collection.adapters import late_fee_segments, orm
from osame_collection.adapters.repository import CollectionRepository
from osame_collection.domain.letters import Letter, LetterLine, mailing


async def letters_of_batch(batch_id: str, uow: UnitOfWork) -> list[Letter]:
    batch = (
        (await uow.session.execute(select(orm.batches).where(orm.batches.c.batch_id == batch_id)))
        .mappings()
        .first()
    )
    if batch is None:
        raise PermanentError("unknown_batch")
    if batch["kind"] == "nightly":
        return await _demand_letters(uow, batch_id)
    rows = (
        (
            await uow.session.execute(
                select(orm.reminders)
                .where(orm.reminders.c.batch_id == batch_id)
                .order_by(orm.reminders.c.addressee_id)
            )
        )
        .mappings()
        .all()
    )
    return [letter for r in rows for letter in await reminder_letters(uow, dict(r))]


async def _demand_letters(uow: UnitOfWork, batch_id: str) -> list[Letter]:
    DN, I = orm.demand_notices, orm.installments  # noqa: E741
    query = (
        select(DN, I.c.tax_item, I.c.fiscal_year, I.c.due_date)
        .join(I, (I.c.notice_number == DN.c.notice_number) & (I.c.installment_no == DN.c.installment_no))
        .where(DN.c.batch_id == batch_id)
        .order_by(DN.c.addressee_id, DN.c.notice_number, DN.c.installment_no)
    )
    repo = CollectionRepository(uow.session)
    letters = []
    found = (await uow.session.execute(query)).mappings().all()
    owners = [(n["demand_notice_id"], (n["notice_number"], n["installment_no"])) for n in found]
    stored = await late_fee_segments.load(uow.session, "demand_notice", owners)
    for n, owner in zip(found, owners, strict=True):
        recipient, postal, address, via, hold = mailing(
            await repo.addressee(n["addressee_id"]),
            await repo.mailing_override(n["addressee_id"], n["tax_item"]),
        )
        letters.append(
            Letter(
                letter_id=n["demand_notice_id"],
                kind="demand_notice",
                addressee_id=n["addressee_id"],
                issued_on=n["issued_on"],
                recipient=recipient,
                postal_code=postal,
                address=address,
                via_override=via,
                lines=(
                    LetterLine(
                        n["notice_number"],
                        n["installment_no"],
                        n["tax_item"],
                        n["fiscal_year"],
                        n["due_date"],
                        n["principal_tax_due"],
                        n["late_fee_accrued"],
                        n["demand_fee"],
                        tuple(stored.get(owner, ())),
                    ),
                ),
                earliest_seizure_on=n["earliest_seizure_on"],
                hold_reason=hold,
            )
        )
    return letters


async def reminder_letters(uow: UnitOfWork, reminder: dict) -> list[Letter]:
    """One 催告書 per recipient: each line goes to the 送付先 of its own 税目 (or the addressee), so a
    letter carries only items whose 送付先 is its recipient (issue #12 defect 8: 住民税 was disclosed
    to a 固定資産税 納税管理人 when every line went to the oldest line's 送付先)."""
    RI, I = orm.reminder_items, orm.installments  # noqa: E741
    query = (
        select(RI, I.c.tax_item, I.c.fiscal_year, I.c.due_date)
        .join(I, (I.c.notice_number == RI.c.notice_number) & (I.c.installment_no == RI.c.installment_no))
        .where(RI.c.reminder_id == reminder["reminder_id"])
        .order_by(I.c.due_date, RI.c.notice_number, RI.c.installment_no)
    )
    repo = CollectionRepository(uow.session)
    addressee = await repo.addressee(reminder["addressee_id"])
    params = await repo.law_parameters(cutoff_days=0)  # only the 指定期限 days are read here
    days = params.reminder_deadline_days(reminder["issued_on"])
    groups: dict[tuple, list[LetterLine]] = {}
    found = (await uow.session.execute(query)).mappings().all()
    owners = [(reminder["reminder_id"], (r["notice_number"], r["installment_no"])) for r in found]
    stored = await late_fee_segments.load(uow.session, "reminder", owners)
    for r, owner in zip(found, owners, strict=True):
        destination = mailing(addressee, await repo.mailing_override(reminder["addressee_id"], r["tax_item"]))
        groups.setdefault(destination, []).append(
            LetterLine(
                r["notice_number"],
                r["installment_no"],
                r["tax_item"],
                r["fiscal_year"],
                r["due_date"],
                r["principal_tax_due"],
                r["late_fee_accrued"],
                r["demand_fee_due"],
                tuple(stored.get(owner, ())),
            )
        )
    letters = []
    for n, ((recipient, postal, address, via, hold), lines) in enumerate(groups.items(), start=1):
        letters.append(
            Letter(
                letter_id=reminder["reminder_id"] if len(groups) == 1 else f"{reminder['reminder_id']}-{n}",
                kind="reminder",
                addressee_id=reminder["addressee_id"],
                issued_on=reminder["issued_on"],
                recipient=recipient,
                postal_code=postal,
                address=address,
                via_override=via,
                lines=tuple(lines),
                hold_reason=hold,
                reminder_deadline_days=days,
            )
        )
    return letters
