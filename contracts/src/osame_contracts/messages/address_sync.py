"""Messages owned by address-sync (宛名管理 + 団体内統合宛名).

The addressee-changed event carries only what consumers need to address a letter;
it never carries 個人番号.
"""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from osame_contracts.base import AddresseeId, Command, Event


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
    """The minimum consumers need to address and route a letter."""

    routing_key = "address-sync.addressee.changed.v1"

    addressee_id: AddresseeId
    version: int = Field(ge=1)
    name: str = Field(max_length=100)
    name_kana: str = Field(max_length=200)
    postal_code: str = Field(max_length=8)
    address: str = Field(max_length=200, description="Empty when protected (支援措置)")
    protected: bool
    deceased_on: dt.date | None = None


# Every message this module defines; the registry collects them.
MESSAGES = (UpsertAddressee, AddresseeChanged)
