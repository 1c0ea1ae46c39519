"""Messages owned by collection (滞納管理)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import Field

from osame_contracts.base import AddresseeId, Event, NoticeNumber, Part, StaffProof, Yen

MAX_ITEMS_PER_MESSAGE = 1000


class InformationItem(StrEnum):
    """情報照会 item requested through the intermediate server."""

    INCOME = "income"  # 地方税関係情報 / 所得


class IncomeQueryRequested(Event):
    """Collection asks the gateway for income data (財産調査 / 執行停止の判断).

    v2: `staff_user` is the subject of the verified staff token and `staff_proof` binds it to this
    message (collection signs it); the gateway refuses a request without a valid proof. v1, whose
    free-text `staff_user` anyone on the bus could set, is retired.
    """

    routing_key = "collection.income-query.requested.v2"
    staff_field = "staff_user"

    query_id: str = Field(min_length=1, max_length=36)
    addressee_id: AddresseeId
    affair: str = Field(
        max_length=80, description="事務: e.g. 'local_tax_assessment_collection' (主務省令 第2条 表48)"
    )
    item: InformationItem
    fiscal_year: int
    purpose: str = Field(max_length=200)
    staff_user: str = Field(
        max_length=64, description="staff id (token subject) of who asked; proven by staff_proof"
    )
    requested_on: dt.date
    staff_proof: StaffProof


class IssuedDemandNotice(Part):
    """One 督促 (demand notice) issued for one 期別."""

    demand_notice_id: str = Field(max_length=36)
    addressee_id: AddresseeId
    notice_number: NoticeNumber
    installment_no: int = Field(ge=0, le=99)
    issued_on: dt.date = Field(description="督促状 発付日")
    demand_fee: Yen = Field(description="督促手数料 charged for this 督促状 (0 where abolished)")
    principal_tax_due: Yen = Field(description="本税 still unpaid on the issue date")
    late_fee_accrued: Yen = Field(description="延滞金 accrued to the issue date (法20条の4の2 rounded)")
    earliest_seizure_on: dt.date = Field(description="First day 差押 is allowed (法331①一: issue + 11 days)")


class DemandNoticesIssued(Event):
    """督促 issued by a batch. Bulk: up to 1,000 notices per message.

    Consumers (refunds, receipts) add the 督促手数料 to what is owed on the installment.
    """

    routing_key = "collection.demand-notice.issued.v1"

    batch_id: str = Field(max_length=36)
    items: list[IssuedDemandNotice] = Field(min_length=1, max_length=MAX_ITEMS_PER_MESSAGE)


class AssessedLateFee(Part):
    """延滞金 of one 期別 as computed by collection."""

    addressee_id: AddresseeId
    notice_number: NoticeNumber
    installment_no: int = Field(ge=0, le=99)
    late_fee: Yen = Field(description="延滞金 after 法20条の4の2⑤ rounding")
    computed_to: dt.date = Field(description="Accrued up to this day (full-payment day once fixed)")
    fixed: bool = Field(description="True when the 本税 is fully paid: the amount is final (確定延滞金)")
    version: int = Field(ge=1, description="Per-installment sequence; consumers ignore older versions")


class LateFeesAssessed(Event):
    """延滞金 fixed or changed for installments. Bulk: up to 1,000 per message.

    Sent when a 延滞金 is fixed (本税 fully paid), when it changes after a 執行停止 exemption or
    a ledger change, and with each 督促 batch (accrued to the batch date, ``fixed=False``).
    """

    routing_key = "collection.late-fee.assessed.v1"

    items: list[AssessedLateFee] = Field(min_length=1, max_length=MAX_ITEMS_PER_MESSAGE)


class PledgeBreached(Event):
    """分納誓約 履行監視: a pledged payment was missed; collection itself sends the 催告."""

    routing_key = "collection.pledge.breached.v1"

    pledge_id: str = Field(max_length=36)
    addressee_id: AddresseeId
    missed_due_on: dt.date = Field(description="Due day of the first missed pledge payment")
    shortfall: Yen = Field(gt=0, description="Pledged amount due by then minus what was paid")
    detected_on: dt.date


class WriteOffCause(StrEnum):
    """不納欠損 causes (three codes)."""

    LIMITATION = "limitation"  # 時効完成 (法18①)
    STAY_THREE_YEARS = "stay_three_years"  # 執行停止 3年継続 (法15条の7④)
    IMMEDIATE_EXTINCTION = "immediate_extinction"  # 即時消滅 (法15条の7⑤)


class WrittenOffInstallment(Part):
    addressee_id: AddresseeId
    notice_number: NoticeNumber
    installment_no: int = Field(ge=0, le=99)
    cause: WriteOffCause
    principal_tax: Yen = Field(description="本税 extinguished")
    late_fee: Yen = Field(description="延滞金 extinguished")
    demand_fee: Yen = Field(description="督促手数料 extinguished")
    extinguished_on: dt.date


class InstallmentsWrittenOff(Event):
    """不納欠損: the right to collect these installments is extinguished. Bulk: up to 1,000 per message.

    The receipts ledger must refuse money offered for them afterwards (法18②).
    """

    routing_key = "collection.installment.written-off.v1"

    items: list[WrittenOffInstallment] = Field(min_length=1, max_length=MAX_ITEMS_PER_MESSAGE)


# Every message this module defines that is wired to a consumer; the registry collects them.
# DemandNoticesIssued, LateFeesAssessed and InstallmentsWrittenOff are defined but not yet listed:
# the lead wires their consumers (see /tmp/osame-wiring/collection.md) and then adds them here.
# Collection publishes them only once they are listed here (``publish_if_wired``).
MESSAGES = (
    IncomeQueryRequested,
    PledgeBreached,
    DemandNoticesIssued,
    LateFeesAssessed,
    InstallmentsWrittenOff,
)
