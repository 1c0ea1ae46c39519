"""Input checks the contract models cannot express (check digits); errors name fields, never values."""

from __future__ import annotations

from osame_chassis.errors import PermanentError
from osame_contracts.messages.address_sync import StructuredAddress

from osame_address_sync.domain.identifiers import (
    is_valid_corporate_number,
    is_valid_municipality_code,
    is_valid_my_number,
)


def check_my_number(number: str | None, location: str) -> None:
    if number is not None and not is_valid_my_number(number):
        raise PermanentError(f"{location}: 個人番号 check digit mismatch")


def check_corporate_number(number: str | None, location: str) -> None:
    if number is not None and not is_valid_corporate_number(number):
        raise PermanentError(f"{location}: 法人番号 check digit mismatch")


def check_addresses(addresses: dict[str, StructuredAddress | None]) -> None:
    for location, address in addresses.items():
        if (
            address is not None
            and address.municipality_code
            and not is_valid_municipality_code(address.municipality_code)
        ):
            raise PermanentError(f"{location}.municipality_code: check digit mismatch")
