"""Refunds' message handlers: the 過誤納金 register, the debt projection (every component, every
ledger event, every 宛名番号 of the person), 名寄せ, 充当 outcomes, withdrawals."""

from __future__ import annotations

from datetime import UTC, datetime

from osame_chassis.ids import new_id
from osame_chassis.uow import UnitOfWork
from osame_contracts.messages import address_sync, receipts
from osame_contracts.messages import refunds as refunds_msgs

from osame_refunds.adapters.repository import RefundsRepository
from osame_refunds.domain.overpayment import OverpaymentStatus
from osame_refunds.service_layer.interest import credit_appropriated_part
from osame_refunds.service_layer.settlement import resettle_person, settle
from osame_refunds.service_layer.withdrawal import apply_withdrawals, record_withdrawal

# Refusals after which re-planning can help (the item is no longer owed); others need a person.
REPLAN_REASONS = {"not_owed", "unknown_installment"}


async def register_overpayment(event: receipts.OverpaymentDetected, uow: UnitOfWork) -> None:
    """Enter a 過誤納金 in the register once, then appropriate it or decide its refund."""
    repo = RefundsRepository(uow.session)
    if await repo.has_overpayment(event.overpayment_id):
        return
    await repo.add_overpayment(
        overpayment_id=event.overpayment_id,
        addressee_id=event.addressee_id,
        notice_number=event.notice_number,
        installment_no=event.installment_no,
        amount=event.amount,
        appropriated=0,
        refunded=0,
        withdrawn=0,
        cause=event.cause,
        arose_on=event.arose_on,
        paid_on=event.paid_on,
        status=OverpaymentStatus.HELD,
        registered_at=datetime.now(UTC),
    )
    await apply_withdrawals(event.overpayment_id, uow)  # withdrawals that arrived first; then settles


async def project_assessment(event: receipts.AssessmentRecorded, uow: UnitOfWork) -> None:
    """Remaining 本税 per installment (未納の徴収金) from the receipts ledger."""
    repo = RefundsRepository(uow.session)
    changed = False
    for item in event.installments:
        changed |= await repo.project(
            notice_number=event.notice_number,
            installment_no=item.installment_no,
            component="principal_tax",
            addressee_id=event.addressee_id,
            amount=max(item.principal_tax - item.paid, 0),
            basis_date=item.due_date,
            version=event.ledger_version,
        )
    if changed:
        await resettle_person(event.addressee_id, uow, uow.today())


async def project_installment_states(
    event: receipts.InstallmentsSettled | receipts.InstallmentsPartlyPaid | receipts.InstallmentsCharged,
    uow: UnitOfWork,
) -> None:
    """本税, 督促手数料 and 延滞金 still owed per installment, as the receipts ledger states them
    (after a payment, a reversal, or a 督促手数料/延滞金 charged: 法17条の2① covers all three)."""
    repo = RefundsRepository(uow.session)
    changed: set[str] = set()
    for item in event.items:
        for component, amount in (
            ("principal_tax", item.remaining),
            ("demand_fee", item.demand_fee_remaining),
            ("late_fee", item.late_fee_remaining),
        ):
            # 令6条の14: 延滞金 shares its tax's date; 督促手数料's date (the 督促 issue date) comes
            # from collection's DemandNoticesIssued and is kept when already known.
            if await repo.project(
                notice_number=item.notice_number,
                installment_no=item.installment_no,
                component=component,
                addressee_id=item.addressee_id,
                amount=amount,
                basis_date=item.due_date,
                version=item.ledger_version,
                keep_basis=component == "demand_fee",
            ):
                changed.add(item.addressee_id)
    for addressee_id in sorted(changed):
        await resettle_person(addressee_id, uow, uow.today())


async def record_merge(event: address_sync.AddresseesMerged, uow: UnitOfWork) -> None:
    """名寄せ: the merged 宛名番号's debts and overpayments are the survivor's person's (法17条の2①)."""
    repo = RefundsRepository(uow.session)
    await repo.record_merge(
        event.merged_addressee_id, event.surviving_addressee_id, event.unified_addressee_id, event.merged_on
    )
    await resettle_person(event.surviving_addressee_id, uow, uow.today())


async def overpayment_withdrawn(event: receipts.OverpaymentWithdrawn, uow: UnitOfWork) -> None:
    """不渡 / 収納訂正: the withdrawn yen can no longer be refunded or appropriated."""
    await record_withdrawal(event, uow)


async def note_demand_notices(event, uow: UnitOfWork) -> None:
    """督促 issued: the 督促手数料's 充当適状 date is the issue date (令6条の14)."""
    repo = RefundsRepository(uow.session)
    for item in event.items:
        await repo.set_basis(
            item.notice_number,
            item.installment_no,
            "demand_fee",
            item.addressee_id,
            item.issued_on,
            item.demand_fee,
        )


async def appropriation_applied(event, uow: UnitOfWork) -> None:
    """receipts booked the 充当: the money is no longer held; notify the taxpayer (法17条の2⑤)."""
    repo = RefundsRepository(uow.session)
    appropriation = await repo.appropriation(event.appropriation_id)
    if appropriation is None or appropriation["status"] != "requested":
        return
    await repo.set_appropriation_status(event.appropriation_id, "applied")
    overpayment = await repo.overpayment(appropriation["overpayment_id"], lock=True)
    await repo.update_overpayment(
        overpayment["overpayment_id"], appropriated=overpayment["appropriated"] + appropriation["total"]
    )
    # 法17条の4①: the appropriated yen earn 還付加算金 to the 充当適状日, whatever happens to the rest.
    await credit_appropriated_part(repo, overpayment, appropriation, uow.today())
    await _announce_settled(uow, repo, appropriation, "applied")
    await repo.add_notice(
        notice_id=new_id(),
        addressee_id=appropriation["addressee_id"],
        kind="appropriation",
        reference=event.appropriation_id,
        overpayment_id=overpayment["overpayment_id"],
        amount=appropriation["total"],
        issued_on=uow.today(),
        created_at=datetime.now(UTC),
    )
    await settle(appropriation["overpayment_id"], uow, uow.today())


async def appropriation_refused(event, uow: UnitOfWork) -> None:
    """receipts refused the 充当 (nothing applied): the money stays held; re-plan when the
    refusal says an item is no longer owed, otherwise leave it for a person to look at."""
    repo = RefundsRepository(uow.session)
    appropriation = await repo.appropriation(event.appropriation_id)
    if appropriation is None or appropriation["status"] != "requested":
        return
    await repo.set_appropriation_status(event.appropriation_id, "refused", str(event.reason))
    await _announce_settled(uow, repo, appropriation, "refused")
    items = await repo.appropriation_items(event.appropriation_id)
    if str(event.reason) not in REPLAN_REASONS or event.item_index is None or event.item_index >= len(items):
        # Re-planning would repeat the same request: the money stays held, visibly, for a person.
        await repo.update_overpayment(
            appropriation["overpayment_id"], hold_reason=f"appropriation_refused:{event.reason}"
        )
        return
    stale = items[event.item_index]
    await repo.set_debt(stale["notice_number"], stale["installment_no"], stale["component"], event.owed or 0)
    await settle(appropriation["overpayment_id"], uow, uow.today())


async def _announce_settled(uow: UnitOfWork, repo: RefundsRepository, appropriation, outcome: str) -> None:
    items = await repo.appropriation_items(appropriation["appropriation_id"])
    await uow.publish(
        refunds_msgs.AppropriationSettled(
            appropriation_id=appropriation["appropriation_id"],
            addressee_id=appropriation["addressee_id"],
            outcome=outcome,
            items=[
                {k: i[k] for k in ("notice_number", "installment_no", "component", "amount")} for i in items
            ],
        ),
    )
