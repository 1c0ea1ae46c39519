"""Messages owned by the receipts service (収納管理)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import Field

from osame_contracts.base import AddresseeId, Command, Event, NoticeNumber, Part, Yen
from osame_contracts.messages.taxation import TaxItem

MAX_ITEMS_PER_MESSAGE = 1000


class Channel(StrEnum):
    """収納チャネル: where the money came in."""

    DIRECT_DEBIT = "direct_debit"  # 口座振替
    CONVENIENCE_STORE = "convenience_store"  # コンビニ収納
    BANK_COUNTER = "bank_counter"  # 指定金融機関 領収済通知
    MPN = "mpn"  # Pay-easy
    ELTAX = "eltax"  # eLTAX 共通納税
    COUNTER = "counter"  # 窓口
    SECURITY_INSTRUMENT = "security_instrument"  # 証券
    APPROPRIATION = "appropriation"  # 充当 (過誤納金 applied to another debt, effective on the 充当適状日)


class LedgerComponent(StrEnum):
    """What a yen on an installment pays: 本税, 督促手数料 or 延滞金."""

    PRINCIPAL_TAX = "principal_tax"  # 本税
    DEMAND_FEE = "demand_fee"  # 督促手数料
    LATE_FEE = "late_fee"  # 延滞金


class InstallmentKey(Part):
    """Identifies one 期別 of one notice."""

    notice_number: NoticeNumber
    installment_no: int = Field(ge=0, le=99)


class RecordReceipt(Command):
    """Record one receipt (収納) from a channel; sent to receipts by channel adapters."""

    routing_key = "receipts.receipt.record.v1"

    channel: Channel
    channel_key: str = Field(
        pattern=r"^[0-9A-Za-z:_-]{1,64}$",
        description="The channel's own id for this payment; (channel, channel_key) is unique",
    )
    notice_number: NoticeNumber
    installment_no: int = Field(ge=0, le=99)
    amount: Yen = Field(gt=0)
    paid_on: dt.date = Field(description="領収日: the day the taxpayer paid")
    booked_on: dt.date = Field(description="収入日: the day the money reached the city's account")
    preliminary: bool = Field(default=False, description="速報 (True) or 確報 (False)")


class AssessmentRecorded(Event):
    """The ledger (調定) of a notice after an assessment or change, with holiday-shifted due dates.

    `ledger_version` increases with each change; consumers ignore older versions.
    """

    routing_key = "receipts.assessment.recorded.v1"

    addressee_id: AddresseeId
    notice_number: NoticeNumber
    tax_item: TaxItem
    fiscal_year: int
    ledger_version: int = Field(ge=1)
    installments: list[RecordedInstallment] = Field(min_length=1, max_length=24)


class RecordedInstallment(Part):
    installment_no: int = Field(ge=0, le=99)
    principal_tax: Yen
    due_date: dt.date = Field(description="納期限 after shifting off closed days")
    paid: Yen = Field(description="Σ applied to 本税 so far")


class ReceiptRecorded(Event):
    """A receipt was recorded and reconciled (消込) against its installment."""

    routing_key = "receipts.receipt.recorded.v1"

    receipt_id: str = Field(max_length=36)
    addressee_id: AddresseeId
    notice_number: NoticeNumber
    installment_no: int
    channel: Channel
    amount: Yen
    applied: Yen = Field(description="Part applied to the installment")
    overpaid: Yen = Field(description="Part in excess of what was owed (past the installment)")
    paid_on: dt.date
    booked_on: dt.date
    preliminary: bool = Field(description="速報: recorded, not yet applied (applied = 0); it blocks 督促")
    cancelled: bool = Field(
        default=False,
        description="The 速報 with this receipt_id was withdrawn (03 速報取消): it no longer blocks 督促",
    )


class ReceiptReversed(Event):
    """A recorded receipt was reversed: its 証券 was dishonoured (不渡), so the money never came.

    The installment's new state follows as InstallmentsPartlyPaid (newer ledger_version).
    Consumed by collection (the receipt no longer counts as payment nor as 承認 for 時効).
    """

    routing_key = "receipts.receipt.reversed.v1"

    receipt_id: str = Field(max_length=36)
    addressee_id: AddresseeId
    notice_number: NoticeNumber
    installment_no: int
    channel: Channel
    amount: Yen
    applied: Yen = Field(description="What had been applied and is now taken off the installment")
    paid_on: dt.date = Field(description="領収日 of the reversed receipt")
    reversed_on: dt.date
    reason: str = Field(default="dishonour", pattern=r"^[a-z_]{1,30}$")


class InstallmentState(Part):
    """An installment's ledger state; complete enough for a projection that has not yet seen
    the notice's assessment (events on different queues arrive in any order)."""

    addressee_id: AddresseeId
    notice_number: NoticeNumber
    installment_no: int
    tax_item: TaxItem
    fiscal_year: int
    due_date: dt.date = Field(description="納期限 after shifting off closed days")
    principal_tax: Yen
    paid: Yen = Field(description="Σ applied to 本税")
    remaining: Yen = Field(description="本税 still owed")
    demand_fee_remaining: Yen = Field(default=0, description="督促手数料 still owed")
    late_fee_remaining: Yen = Field(default=0, description="延滞金 (as charged to the ledger) still owed")
    last_paid_on: dt.date = Field(description="領収日 of the receipt that caused this state")
    last_booked_on: dt.date | None = Field(default=None, description="収入日 of that receipt")
    ledger_version: int = Field(ge=1)


class InstallmentsSettled(Event):
    """期別 fully paid (完納). Bulk: up to 1,000 installments per message."""

    routing_key = "receipts.installment.settled.v1"

    items: list[InstallmentState] = Field(min_length=1, max_length=MAX_ITEMS_PER_MESSAGE)


class InstallmentsPartlyPaid(Event):
    """期別 partly paid (一部納付). Bulk: up to 1,000 installments per message."""

    routing_key = "receipts.installment.partly-paid.v1"

    items: list[InstallmentState] = Field(min_length=1, max_length=MAX_ITEMS_PER_MESSAGE)


class UnmatchedReason(StrEnum):
    """Why a receipt could not be applied (消込不能)."""

    UNKNOWN_NOTICE = "unknown_notice"  # no notice with the number the payment carried
    UNKNOWN_INSTALLMENT = "unknown_installment"  # the notice exists, the 期別 does not


class UnmatchedReceipt(Part):
    """One receipt kept on the unmatched list (never dropped): what the payment said it paid."""

    receipt_id: str = Field(max_length=36)
    channel: Channel
    amount: Yen
    paid_on: dt.date = Field(description="領収日")
    booked_on: dt.date = Field(description="収入日")
    preliminary: bool = Field(default=False, description="速報 only")
    notice_number: str = Field(
        default="",
        pattern=r"^[0-9A-Za-z-]{0,20}$",
        description="通知書番号 as the payment carried it ('' if none)",
    )
    installment_no: int = Field(default=0, ge=0, le=99, description="期別 as the payment carried it")
    addressee_id: AddresseeId | None = Field(
        default=None,
        description="The notice's 宛名番号 when the notice is known (reason unknown_installment)",
    )
    reason: UnmatchedReason


class ReceiptsUnmatched(Event):
    """Receipts that matched no installment and wait on the unmatched list for staff to assign.

    Consumed by collection: a payment naming a known notice holds that notice's 督促 until the
    receipt is assigned (its ReceiptRecorded releases the hold). Bulk: up to 1,000 per message.
    """

    routing_key = "receipts.receipt.unmatched.v1"

    items: list[UnmatchedReceipt] = Field(min_length=1, max_length=MAX_ITEMS_PER_MESSAGE)


class OverpaymentCause(StrEnum):
    """Why money is held in excess (過誤納の原因); refunds derives the 還付加算金 start from it."""

    ERRONEOUS_PAYMENT = "erroneous_payment"  # 誤納 (paid more than owed / twice)
    REASSESSMENT = "reassessment"  # 減額更正・決定・賦課決定 (過納)


class OverpaymentReason(StrEnum):
    """What happened, in operator terms (the legal `cause` decides 還付加算金)."""

    EXCESS_PAYMENT = "excess_payment"  # paid more than owed on the installment
    DOUBLE_PAYMENT = "double_payment"  # the same notice paid again (other channel, F11)
    AFTER_REDUCTION = "after_reduction"  # 減額更正 / 取消 below what was paid
    NO_LIABILITY = "no_liability"  # nothing owed: written off (法18②) or cancelled


class OverpaymentDetected(Event):
    """過誤納金 arose: money received that no longer matches anything owed on its installment."""

    routing_key = "receipts.overpayment.detected.v1"

    overpayment_id: str = Field(max_length=36)
    addressee_id: AddresseeId
    notice_number: NoticeNumber
    installment_no: int
    amount: Yen = Field(gt=0)
    cause: OverpaymentCause
    arose_on: dt.date = Field(description="The day the overpayment arose (過誤納となった日)")
    paid_on: dt.date = Field(description="領収日 of the receipt that created it")
    reason: OverpaymentReason | None = Field(default=None, description="Operator-facing reason (F11 etc.)")


class AppropriationItem(Part):
    """One line of a 充当: yen of an overpayment applied to one component of one installment."""

    notice_number: NoticeNumber
    installment_no: int = Field(ge=0, le=99)
    component: LedgerComponent
    amount: Yen = Field(gt=0)


class AppropriateOverpayment(Command):
    """充当: apply held 過誤納金 to debts of the same addressee; sent to receipts by refunds.

    Receipts books each item as a receipt of channel `appropriation` dated the 充当適状日
    (法17条の2④: the 充当 takes effect retroactively at that time). All items are applied or none:
    if any item is no longer owed, or the overpayment cannot cover the total, the command is
    refused with a reason (`receipts.appropriation.refused.v1`). Idempotent by `appropriation_id`.
    """

    routing_key = "receipts.appropriation.apply.v1"

    appropriation_id: str = Field(pattern=r"^[0-9A-Za-z-]{1,36}$", description="Refunds' id of this 充当")
    overpayment_id: str = Field(max_length=36, description="The 過誤納金 (as detected by receipts) used")
    addressee_id: AddresseeId
    appropriable_on: dt.date = Field(description="充当適状日 (令6条の14): 領収日 and 収入日 of the receipts")
    items: list[AppropriationItem] = Field(min_length=1, max_length=MAX_ITEMS_PER_MESSAGE)


class AppliedAppropriationItem(Part):
    notice_number: NoticeNumber
    installment_no: int
    component: LedgerComponent
    amount: Yen
    receipt_id: str = Field(max_length=36, description="The 充当 receipt booked for this item")


class AppropriationApplied(Event):
    """A 充当 was booked on the ledger; consumed by refunds (marks the overpayment appropriated)."""

    routing_key = "receipts.appropriation.applied.v1"

    appropriation_id: str = Field(max_length=36)
    overpayment_id: str = Field(max_length=36)
    addressee_id: AddresseeId
    appropriable_on: dt.date
    total: Yen = Field(description="Σ items")
    overpayment_unappropriated: Yen = Field(description="What remains of the overpayment after this 充当")
    items: list[AppliedAppropriationItem] = Field(min_length=1, max_length=MAX_ITEMS_PER_MESSAGE)


class AppropriationRefusal(StrEnum):
    """Why receipts refused a 充当 (nothing of it was applied)."""

    UNKNOWN_OVERPAYMENT = "unknown_overpayment"  # receipts holds no such 過誤納金
    ADDRESSEE_MISMATCH = "addressee_mismatch"  # the overpayment belongs to another 宛名番号
    INSUFFICIENT_OVERPAYMENT = "insufficient_overpayment"  # Σ items > what is left of the overpayment
    UNKNOWN_INSTALLMENT = "unknown_installment"  # no such 通知書番号 × 期別 in the ledger
    NOT_OWED = "not_owed"  # the component is no longer owed (paid meanwhile, 減額更正, 取消)
    OTHER_ADDRESSEE_DEBT = "other_addressee_debt"  # the installment belongs to another 宛名番号
    OUT_OF_ORDER = (
        "out_of_order"  # breaks the 充当 order in force inside an installment (法17条の2③ / city order)
    )


class AppropriationRefused(Event):
    """A 充当 was refused as a whole; consumed by refunds (re-plan or refund instead)."""

    routing_key = "receipts.appropriation.refused.v1"

    appropriation_id: str = Field(max_length=36)
    overpayment_id: str = Field(max_length=36)
    addressee_id: AddresseeId
    reason: AppropriationRefusal
    item_index: int | None = Field(
        default=None, ge=0, description="0-based index of the first offending item, when an item is the cause"
    )
    owed: Yen | None = Field(default=None, description="What the offending item's component still owes")
    available: Yen | None = Field(default=None, description="What is left of the overpayment")


class InstallmentsCharged(Event):
    """督促手数料 or 延滞金 was charged to (or changed on) installments of the ledger.

    Receipts publishes the full state of each installment after it books a charge from
    collection (DemandNoticesIssued, LateFeesAssessed), so that consumers that plan 充当
    (refunds) know every component owed, 延滞金 and 督促手数料 included (法17条の2①).
    Bulk: up to 1,000 installments per message; `ledger_version` orders states.
    """

    routing_key = "receipts.installment.charged.v1"

    items: list[InstallmentState] = Field(min_length=1, max_length=MAX_ITEMS_PER_MESSAGE)


class OverpaymentWithdrawalReason(StrEnum):
    """Why money held as 過誤納金 is no longer held."""

    DISHONOUR = "dishonour"  # the 証券 that brought the money was dishonoured (不渡)
    CORRECTION = "correction"  # 収納訂正: the receipt that created it was reversed or moved


class OverpaymentWithdrawn(Event):
    """An overpayment (or part of it) no longer exists: the money behind it never came or moved.

    Receipts publishes it after reversing the receipt that created the overpayment, and after
    reversing any 充当 it had booked from that overpayment (listed in
    `appropriations_reversed`). Refunds withdraws the amount: nothing of it may be refunded or
    appropriated afterwards; a refund already paid out from it becomes a visible claim.
    """

    routing_key = "receipts.overpayment.withdrawn.v1"

    overpayment_id: str = Field(max_length=36)
    addressee_id: AddresseeId
    amount: Yen = Field(gt=0, description="Yen of the overpayment withdrawn by this event")
    withdrawn_on: dt.date = Field(description="Business date of the reversal")
    reason: OverpaymentWithdrawalReason
    appropriations_reversed: list[str] = Field(
        default_factory=list,
        max_length=MAX_ITEMS_PER_MESSAGE,
        description="Ids of the 充当 receipts had booked from this overpayment and has now reversed",
    )


class DirectDebitRequested(Event):
    """A 口座振替 request (種別91) was built for a 振替日: these installments have a debit in flight.

    Consumed by collection: an installment with a debit in flight is not dunned until the 振替結果
    of that 振替日 has been imported (``DirectDebitResultsImported``; issue #12 defect 2, the
    行き違い allowance), within the 20 days of 法329条. No account data, no amounts. Bulk: up to
    1,000 installments per message; building again for the same 振替日 publishes nothing.
    """

    routing_key = "receipts.direct-debit.requested.v1"

    debit_date: dt.date = Field(description="振替日 (引落日) of the request")
    items: list[InstallmentKey] = Field(min_length=1, max_length=MAX_ITEMS_PER_MESSAGE)


class DirectDebitResultsImported(Event):
    """The bank's 振替結果 file for a 振替日 was imported and applied: no debit of that date is in
    flight any more. Its debited records were booked as receipts (``ReceiptRecorded``) in the same
    transaction; the failed ones stay owed. Counts only: no personal data.

    Consumed by collection (releases the 督促 of the installments held for that 振替日). Not
    published for a file held as a whole (another 委託者, unknown 振替日) nor for a re-import.
    """

    routing_key = "receipts.direct-debit.results-imported.v1"

    debit_date: dt.date = Field(description="振替日 (引落日) the result file answers")
    debited: int = Field(ge=0, description="Records with result code 0 (money came in)")
    failed: int = Field(ge=0, description="Records with another result code (振替不能)")
    held: int = Field(ge=0, description="Records put on the suspense list (保留)")


AssessmentRecorded.model_rebuild()

# Every message this module defines; the registry collects them.
MESSAGES = (
    RecordReceipt,
    AssessmentRecorded,
    ReceiptRecorded,
    InstallmentsSettled,
    InstallmentsPartlyPaid,
    OverpaymentDetected,
    AppropriateOverpayment,
    AppropriationApplied,
    AppropriationRefused,
    ReceiptReversed,
    ReceiptsUnmatched,
    InstallmentsCharged,
    OverpaymentWithdrawn,
    DirectDebitRequested,
    DirectDebitResultsImported,
)
