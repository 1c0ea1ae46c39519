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
    preliminary: bool


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
    paid: Yen
    remaining: Yen
    last_paid_on: dt.date
    ledger_version: int = Field(ge=1)


class InstallmentsSettled(Event):
    """期別 fully paid (完納). Bulk: up to 1,000 installments per message."""

    routing_key = "receipts.installment.settled.v1"

    items: list[InstallmentState] = Field(min_length=1, max_length=MAX_ITEMS_PER_MESSAGE)


class InstallmentsPartlyPaid(Event):
    """期別 partly paid (一部納付). Bulk: up to 1,000 installments per message."""

    routing_key = "receipts.installment.partly-paid.v1"

    items: list[InstallmentState] = Field(min_length=1, max_length=MAX_ITEMS_PER_MESSAGE)


class OverpaymentCause(StrEnum):
    """Why money is held in excess (過誤納の原因); refunds derives the 還付加算金 start from it."""

    ERRONEOUS_PAYMENT = "erroneous_payment"  # 誤納 (paid more than owed / twice)
    REASSESSMENT = "reassessment"  # 減額更正・決定・賦課決定 (過納)


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


AssessmentRecorded.model_rebuild()

# Every message this module defines; the registry collects them.
MESSAGES = (
    RecordReceipt,
    AssessmentRecorded,
    ReceiptRecorded,
    InstallmentsSettled,
    InstallmentsPartlyPaid,
    OverpaymentDetected,
)
