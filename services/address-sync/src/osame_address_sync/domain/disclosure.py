"""What of an addressee may be disclosed to other services.

支援措置 (DV/stalking victim support measures): a protected addressee's address must not
be disclosed anywhere it could reach a third party, so every address (住所, 転出先, 送付先)
is blanked in fan-out events; the letter is then addressed by staff by hand.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


def disclosable_address(address: str, postal_code: str, protected: bool) -> tuple[str, str]:
    """(address, postal_code) that may leave address-sync."""
    if protected:
        return "", ""
    return address, postal_code


@dataclass(frozen=True)
class Override:
    """送付先 for one 税目."""

    tax_item: str
    recipient: str
    postal_code: str
    address: str


@dataclass(frozen=True)
class AddresseeView:
    """Everything address-sync may tell others about one addressee, before suppression."""

    addressee_id: str
    unified_addressee_id: str
    kind: str  # person | corporation
    name: str
    name_kana: str
    postal_code: str
    address: str
    protected: bool
    deceased_on: dt.date | None = None
    moved_out_on: dt.date | None = None
    destination: str = ""
    destination_postal_code: str = ""
    overrides: tuple[Override, ...] = field(default_factory=tuple)


def mailing_address(view: AddresseeView) -> tuple[str, str]:
    """(address, postal_code) letters go to by default: the 転出先 when moved out and known, else 住所."""
    if view.moved_out_on is not None and view.destination:
        return view.destination, view.destination_postal_code
    return view.address, view.postal_code


def changed_v1(view: AddresseeView, version: int) -> dict:
    """Body of `address-sync.addressee.changed.v1` (addresses blanked when protected)."""
    address, postal_code = disclosable_address(*mailing_address(view), view.protected)
    return {
        "addressee_id": view.addressee_id,
        "version": version,
        "name": view.name,
        "name_kana": view.name_kana,
        "postal_code": postal_code,
        "address": address,
        "protected": view.protected,
        "deceased_on": view.deceased_on,
    }


def changed_v2(view: AddresseeView, version: int) -> dict:
    """Body of `address-sync.addressee.changed.v2` (every address blanked when protected)."""
    body = changed_v1(view, version)
    destination, _ = disclosable_address(view.destination, view.destination_postal_code, view.protected)
    overrides = []
    for o in sorted(view.overrides, key=lambda o: o.tax_item):
        address, postal_code = disclosable_address(o.address, o.postal_code, view.protected)
        overrides.append(
            {"tax_item": o.tax_item, "recipient": o.recipient, "postal_code": postal_code, "address": address}
        )
    body.update(
        unified_addressee_id=view.unified_addressee_id,
        addressee_kind=view.kind,
        moved_out_on=view.moved_out_on,
        destination=destination,
        mailing_overrides=overrides,
    )
    return body
