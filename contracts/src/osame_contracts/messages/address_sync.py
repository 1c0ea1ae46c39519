"""Messages owned by address-sync (宛名管理 + 団体内統合宛名).

Inbound commands come from the 住民記録システム (住基 異動), the 宛名管理 screens and the
tax systems (住登外者, 法人, 送付先, 支援措置, 名寄せ). The 個人番号 appears only in the
inbound commands addressed to address-sync (only its broker user may bind them), and there only
sealed to address-sync's transport key (`SealedMyNumber`, issue 13 item 4); nothing
address-sync publishes ever carries it. Events carry only what consumers need to
address a letter.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

from pydantic import Field, model_validator

from osame_contracts.base import AddresseeId, Command, Event, Part, StaffProof
from osame_contracts.messages.taxation import TaxItem
from osame_contracts.my_number import SealedMyNumber

ChangeId = Annotated[
    str, Field(pattern=r"^[0-9A-Za-z-]{1,40}$", description="The 住基 system's id of one 異動")
]
PostalCode = Annotated[str, Field(pattern=r"^([0-9]{3}-?[0-9]{4})?$")]


class UpsertAddressee(Command):
    """宛名 registration or update from the addressee system (宛名管理)."""

    routing_key = "address-sync.addressee.upsert.v1"

    addressee_id: AddresseeId
    version: int = Field(ge=1, description="Per-addressee sequence; older versions are ignored")
    name: str = Field(min_length=1, max_length=100, description="氏名 or 法人名")
    name_kana: str = Field(default="", max_length=200)
    postal_code: str = Field(default="", pattern=r"^([0-9]{3}-?[0-9]{4})?$")
    address: str = Field(max_length=200, description="住所 print string")
    protected: bool = Field(default=False, description="支援措置: address must not be disclosed")
    deceased_on: dt.date | None = None


class AddresseeChanged(Event):
    """The minimum consumers need to address and route a letter.

    `address`/`postal_code` are where letters go by default: the 転出先 when the addressee
    moved out and it is known, else the registered 住所. Both are empty when protected.
    """

    routing_key = "address-sync.addressee.changed.v1"

    addressee_id: AddresseeId
    version: int = Field(ge=1)
    name: str = Field(max_length=100)
    name_kana: str = Field(max_length=200)
    postal_code: str = Field(max_length=8)
    address: str = Field(max_length=200, description="Empty when protected (支援措置)")
    protected: bool
    deceased_on: dt.date | None = None


# ---------------------------------------------------------------------------------------------
# 住基 異動 (resident register changes): sent by the 住民記録システム to address-sync.


class ChangeGroup(StrEnum):
    ENTRY = "entry"  # 記載
    REMOVAL = "removal"  # 消除
    CORRECTION = "correction"  # 修正
    CANCELLATION = "cancellation"  # 異動の取消し


class ChangeKind(StrEnum):
    """異動事由 as a typed list (the numeric 標準 code table is unconfirmed, interfaces.md U11)."""

    # 記載
    MOVED_IN = "moved_in"  # 転入 (incl. 特例転入)
    MOVED_IN_FROM_ABROAD = "moved_in_from_abroad"  # 国外からの転入
    BIRTH = "birth"  # 出生
    EX_OFFICIO_ENTRY = "ex_officio_entry"  # 職権記載
    # 消除
    MOVED_OUT = "moved_out"  # 転出
    MOVED_ABROAD = "moved_abroad"  # 国外転出
    DEATH = "death"  # 死亡
    EX_OFFICIO_REMOVAL = "ex_officio_removal"  # 職権消除
    # 修正
    MOVED_WITHIN = "moved_within"  # 転居
    NAME_CHANGED = "name_changed"  # 氏名変更
    HOUSEHOLD_CHANGED = "household_changed"  # 世帯変更
    HOUSEHOLDER_CHANGED = "householder_changed"  # 世帯主変更
    MY_NUMBER_CHANGED = "my_number_changed"  # 個人番号の変更
    FORMER_SURNAME_OR_ALIAS = "former_surname_or_alias"  # 旧氏・通称
    EX_OFFICIO_CORRECTION = "ex_officio_correction"  # 職権修正
    # 異動の取消し
    CANCELLATION = "cancellation"


CHANGE_GROUP: dict[ChangeKind, ChangeGroup] = {
    ChangeKind.MOVED_IN: ChangeGroup.ENTRY,
    ChangeKind.MOVED_IN_FROM_ABROAD: ChangeGroup.ENTRY,
    ChangeKind.BIRTH: ChangeGroup.ENTRY,
    ChangeKind.EX_OFFICIO_ENTRY: ChangeGroup.ENTRY,
    ChangeKind.MOVED_OUT: ChangeGroup.REMOVAL,
    ChangeKind.MOVED_ABROAD: ChangeGroup.REMOVAL,
    ChangeKind.DEATH: ChangeGroup.REMOVAL,
    ChangeKind.EX_OFFICIO_REMOVAL: ChangeGroup.REMOVAL,
    ChangeKind.MOVED_WITHIN: ChangeGroup.CORRECTION,
    ChangeKind.NAME_CHANGED: ChangeGroup.CORRECTION,
    ChangeKind.HOUSEHOLD_CHANGED: ChangeGroup.CORRECTION,
    ChangeKind.HOUSEHOLDER_CHANGED: ChangeGroup.CORRECTION,
    ChangeKind.MY_NUMBER_CHANGED: ChangeGroup.CORRECTION,
    ChangeKind.FORMER_SURNAME_OR_ALIAS: ChangeGroup.CORRECTION,
    ChangeKind.EX_OFFICIO_CORRECTION: ChangeGroup.CORRECTION,
    ChangeKind.CANCELLATION: ChangeGroup.CANCELLATION,
}


class StructuredAddress(Part):
    """住所: structured (interfaces.md §7.3) plus the exact print string from the sender."""

    municipality_code: str = Field(
        default="",
        pattern=r"^([0-9]{6})?$",
        description="全国地方公共団体コード (6 digits incl. check digit)",
    )
    town_id: str = Field(
        default="", pattern=r"^([0-9]{7})?$", description="町字ID (アドレス・ベース・レジストリ)"
    )
    town: str = Field(default="", max_length=100, description="町字 (大字・町, 丁目, 小字)")
    block: str = Field(default="", max_length=60, description="番地 / 街区・住居番号 (番・号)")
    building: str = Field(default="", max_length=100, description="方書 (building, room)")
    postal_code: PostalCode = ""
    printed: str = Field(min_length=1, max_length=200, description="The print string, exactly as sent")


class ResidentFields(Part):
    """The values one 異動 sets; fields left out (None) are not changed by it."""

    name: str | None = Field(default=None, min_length=1, max_length=100, description="氏名")
    name_kana: str | None = Field(default=None, max_length=200, description="氏名カナ")
    former_surname: str | None = Field(default=None, max_length=50, description="旧氏")
    alias: str | None = Field(default=None, max_length=100, description="通称 (foreign residents)")
    date_of_birth: dt.date | None = Field(default=None, description="生年月日")
    household_id: str | None = Field(default=None, pattern=r"^[0-9A-Za-z-]{1,20}$", description="世帯番号")
    householder: bool | None = Field(default=None, description="世帯主 (True) or member")
    address: StructuredAddress | None = Field(default=None, description="住所 after the change")
    previous_address: StructuredAddress | None = Field(default=None, description="転入前住所 / 異動前住所")
    destination: StructuredAddress | None = Field(default=None, description="転出先 (予定) 住所 / country")
    my_number: SealedMyNumber | None = Field(default=None, description="個人番号, sealed to address-sync")


# What each kind must carry (field names of ResidentFields).
REQUIRED_FIELDS: dict[ChangeKind, tuple[str, ...]] = {
    ChangeKind.MOVED_IN: ("name", "address"),
    ChangeKind.MOVED_IN_FROM_ABROAD: ("name", "address"),
    ChangeKind.BIRTH: ("name", "address", "date_of_birth"),
    ChangeKind.EX_OFFICIO_ENTRY: ("name", "address"),
    ChangeKind.MOVED_WITHIN: ("address",),
    ChangeKind.NAME_CHANGED: ("name",),
    ChangeKind.HOUSEHOLD_CHANGED: ("household_id",),
    ChangeKind.HOUSEHOLDER_CHANGED: ("householder",),
    ChangeKind.MY_NUMBER_CHANGED: ("my_number",),
}


class RecordResidentChange(Command):
    """住基 異動: one change of one person in the resident register (住民記録システム → address-sync).

    `sequence` is the register's per-person 異動 sequence: the person's state is the changes
    applied in sequence order, so an older change arriving late never overwrites a newer one.
    A `cancellation` (異動の取消し) names the change it reverts.
    """

    routing_key = "address-sync.resident-change.record.v1"

    change_id: ChangeId
    addressee_id: AddresseeId
    sequence: int = Field(ge=1, le=10**9, description="Per-person 異動 sequence in the register")
    change_kind: ChangeKind
    changed_on: dt.date = Field(description="異動日")
    notified_on: dt.date | None = Field(default=None, description="届出日 (none for 職権 changes)")
    cancels_change_id: ChangeId | None = None
    fields: ResidentFields = Field(default_factory=ResidentFields)

    @model_validator(mode="after")
    def _consistent(self) -> RecordResidentChange:
        is_cancel = self.change_kind is ChangeKind.CANCELLATION
        if is_cancel != (self.cancels_change_id is not None):
            raise ValueError("cancels_change_id is required for a cancellation and only for it")
        if is_cancel and self.fields != ResidentFields():
            raise ValueError("a cancellation carries no fields")
        if self.cancels_change_id == self.change_id:
            raise ValueError("a change cannot cancel itself")
        missing = [f for f in REQUIRED_FIELDS.get(self.change_kind, ()) if getattr(self.fields, f) is None]
        if missing:
            raise ValueError(f"{self.change_kind.value} requires fields: {', '.join(missing)}")
        return self


# ---------------------------------------------------------------------------------------------
# 住登外者, 法人, 送付先, 支援措置, 名寄せ: from 宛名管理 / tax systems (also offered over HTTP).


class RegisterNonResident(Command):
    """住登外者: a person the city taxes who is not in its resident register (e.g. a land owner elsewhere)."""

    routing_key = "address-sync.non-resident.upsert.v1"

    addressee_id: AddresseeId
    version: int = Field(ge=1, description="Per-addressee sequence; older versions are ignored")
    name: str = Field(min_length=1, max_length=100)
    name_kana: str = Field(default="", max_length=200)
    date_of_birth: dt.date | None = None
    address: StructuredAddress
    my_number: SealedMyNumber | None = Field(default=None, description="個人番号, sealed to address-sync")


class RegisterCorporation(Command):
    """法人 (corporation) 宛名 with its 法人番号 (13 digits, check digit first)."""

    routing_key = "address-sync.corporation.upsert.v1"

    addressee_id: AddresseeId
    version: int = Field(ge=1)
    name: str = Field(min_length=1, max_length=100, description="法人名")
    name_kana: str = Field(default="", max_length=200)
    corporate_number: str | None = Field(default=None, pattern=r"^[0-9]{13}$", description="法人番号")
    address: StructuredAddress = Field(description="本店又は主たる事務所の所在地")


class SetMailingOverride(Command):
    """送付先: letters for one 税目 of this addressee go to another address (or the override is removed)."""

    routing_key = "address-sync.mailing-override.upsert.v1"

    addressee_id: AddresseeId
    tax_item: TaxItem
    revision: int = Field(ge=1, description="Per (addressee, 税目) sequence; older revisions are ignored")
    removed: bool = Field(default=False, description="True ends the override")
    recipient: str = Field(default="", max_length=100, description="送付先 名称 (e.g. 納税管理人, 様方)")
    address: StructuredAddress | None = None

    @model_validator(mode="after")
    def _address_unless_removed(self) -> SetMailingOverride:
        if not self.removed and self.address is None:
            raise ValueError("an override needs an address unless removed")
        return self


class SetProtection(Command):
    """支援措置 (DV / stalking / abuse victim support) starts or ends for an addressee."""

    routing_key = "address-sync.protection.upsert.v1"

    addressee_id: AddresseeId
    revision: int = Field(ge=1, description="Per-addressee protection sequence; older revisions are ignored")
    protected: bool
    effective_on: dt.date


class MergeReason(StrEnum):
    SAME_MY_NUMBER = "same_my_number"  # 同一人: the blind index of the 個人番号 matched
    SAME_CORPORATE_NUMBER = "same_corporate_number"  # 同一法人: the same 法人番号
    STAFF_DECISION = "staff_decision"  # 名寄せ decided by staff (e.g. name + birth date + address)


class MergeAddressees(Command):
    """名寄せ by staff: `merged_addressee_id` is the same person as `surviving_addressee_id`.

    v2: on the bus `decided_by` is proven by `staff_proof`, which the publisher (宛名管理) signs
    over this message; address-sync refuses a merge without a valid proof. v1, whose free-text
    `decided_by` anyone on the bus could set, is retired.
    """

    routing_key = "address-sync.merge.record.v2"
    staff_field = "decided_by"

    surviving_addressee_id: AddresseeId
    merged_addressee_id: AddresseeId
    decided_by: str = Field(
        pattern=r"^[0-9A-Za-z._-]{1,40}$", description="staff user id; proven by staff_proof"
    )
    decided_on: dt.date
    staff_proof: StaffProof

    @model_validator(mode="after")
    def _distinct(self) -> MergeAddressees:
        if self.surviving_addressee_id == self.merged_addressee_id:
            raise ValueError("an addressee cannot be merged into itself")
        return self


# ---------------------------------------------------------------------------------------------
# The fuller addressee event (送付先 per 税目, 転出) and the 名寄せ event. See docs/services/address-sync.md.


class MailingOverride(Part):
    """送付先 for one 税目 (address blank when protected)."""

    tax_item: TaxItem
    recipient: str = Field(max_length=100)
    postal_code: str = Field(max_length=8)
    address: str = Field(max_length=200)


class AddresseeChangedV2(Event):
    """The addressee-changed event with everything letters and 滞納整理 need (still no 個人番号).

    `address`/`postal_code`: default mailing address (転出先 when moved out and known, else 住所);
    `mailing_overrides`: 送付先 per 税目, to be preferred for that 税目. Every address is blank
    when `protected` (支援措置).
    """

    routing_key = "address-sync.addressee.changed.v2"

    addressee_id: AddresseeId
    unified_addressee_id: AddresseeId = Field(description="団体内統合宛名番号")
    version: int = Field(ge=1)
    addressee_kind: str = Field(pattern=r"^(person|corporation)$")
    name: str = Field(max_length=100)
    name_kana: str = Field(max_length=200)
    postal_code: str = Field(max_length=8)
    address: str = Field(max_length=200)
    protected: bool
    deceased_on: dt.date | None = Field(default=None, description="死亡日: collection starts 承継")
    moved_out_on: dt.date | None = Field(default=None, description="転出 / 国外転出 異動日")
    destination: str = Field(
        default="", max_length=200, description="転出先 print string (blank when protected)"
    )
    mailing_overrides: list[MailingOverride] = Field(default_factory=list, max_length=10)


class AddresseesMerged(Event):
    """名寄せ: `merged_addressee_id` is the same person as `surviving_addressee_id` (same 統合宛名番号).

    Consumers treat the merged addressee's items as the survivor's (one 滞納者, one letter
    address: the survivor's). A merged addressee may itself be the survivor of earlier merges
    (chains): consumers resolve to the final survivor and must accept any arrival order.
    """

    routing_key = "address-sync.addressee.merged.v1"

    unified_addressee_id: AddresseeId
    surviving_addressee_id: AddresseeId
    merged_addressee_id: AddresseeId
    reason: MergeReason
    merged_on: dt.date


class LinkageInvalidationReason(StrEnum):
    CORRECTED = "corrected"  # the 個人番号 held for the 宛名番号 changed (訂正 or 変更)
    REMOVED = "removed"  # no 個人番号 is held any more (a 住基 change was cancelled)
    MERGED = "merged"  # 名寄せ: the 宛名番号 now answers for another record (or stopped doing so)


class IndividualNumberChanged(Event):
    """The 個人番号 behind a 宛名番号 changed: any 符号 obtained for it is stale (issue 13 item 5).

    Carries no number, old or new. The gateway drops the 符号 it holds for the 宛名番号, so the
    next 情報照会 obtains a fresh one: a stale 符号 would return another person's information.
    """

    routing_key = "address-sync.individual-number.changed.v1"

    addressee_id: AddresseeId
    reason: LinkageInvalidationReason
    changed_on: dt.date = Field(description="business date of the change (address-sync's)")


# Every message this module defines that is wired end to end; the registry collects them.
MESSAGES = (
    UpsertAddressee,
    AddresseeChanged,
    RecordResidentChange,
    RegisterNonResident,
    RegisterCorporation,
    SetMailingOverride,
    SetProtection,
    MergeAddressees,
    AddresseeChangedV2,
    AddresseesMerged,
    IndividualNumberChanged,
)
