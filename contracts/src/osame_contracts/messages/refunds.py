"""Messages owned by refunds (還付・充当)."""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from osame_contracts.base import AddresseeId, Event, NoticeNumber, Part, Yen


class AppropriationLine(Part):
    notice_number: NoticeNumber
    installment_no: int = Field(ge=0, le=99)
    component: str = Field(pattern=r"^(principal_tax|demand_fee|late_fee)$")
    amount: Yen = Field(gt=0)


class AppropriationDecided(Event):
    """充当 decided and sent to receipts; until it is applied or refused the items are pending
    (collection must not issue a 督促 for them)."""

    routing_key = "refunds.appropriation.decided.v1"

    appropriation_id: str = Field(max_length=36)
    overpayment_id: str = Field(max_length=36)
    addressee_id: AddresseeId
    appropriable_on: dt.date = Field(description="充当適状日")
    items: list[AppropriationLine] = Field(min_length=1, max_length=1000)


class AppropriationSettled(Event):
    """A 充当 is no longer pending: receipts applied it (`applied`) or refused it (`refused`).
    Collection releases the 督促 hold it placed for the items."""

    routing_key = "refunds.appropriation.settled.v1"

    appropriation_id: str = Field(max_length=36)
    addressee_id: AddresseeId
    outcome: str = Field(pattern=r"^(applied|refused)$")
    items: list[AppropriationLine] = Field(min_length=1, max_length=1000)


class RefundDecided(Event):
    """還付 approved (支出決定) with its 還付加算金."""

    routing_key = "refunds.refund.decided.v1"

    refund_id: str = Field(max_length=36)
    overpayment_id: str = Field(max_length=36)
    addressee_id: AddresseeId
    amount: Yen
    refund_interest: Yen
    decided_on: dt.date


class RefundPaid(Event):
    routing_key = "refunds.refund.paid.v1"

    refund_id: str = Field(max_length=36)
    addressee_id: AddresseeId
    amount: Yen
    refund_interest: Yen
    paid_on: dt.date


class RefundFailed(Event):
    """The transfer came back (口座相違・解約 etc.): the refund is reopened and the taxpayer contacted."""

    routing_key = "refunds.refund.failed.v1"

    refund_id: str = Field(max_length=36)
    addressee_id: AddresseeId
    reason: str = Field(max_length=60)
    failed_on: dt.date


# Every message this module defines; the registry collects them. The refund events are consumed by
# collection (refund watch: 充当 cross-check, 折衝 task on a returned transfer, closed when paid).
MESSAGES = (AppropriationDecided, AppropriationSettled, RefundDecided, RefundPaid, RefundFailed)
