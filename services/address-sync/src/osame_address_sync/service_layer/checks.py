"""Input checks the contract models cannot express (check digits); errors name fields, never values."""

from __future__ import annotations

from osame_chassis.errors import PermanentError
from osame_chassis.sealed_number import SealedNumberRefused
from osame_contracts.messages.address_sync import StructuredAddress
from osame_contracts.my_number import SealedMyNumber

from osame_address_sync.domain.identifiers import (
    is_valid_corporate_number,
    is_valid_municipality_code,
    is_valid_my_number,
)
from osame_address_sync.domain.revisions import RevisionPolicy, RevisionVerdict
from osame_address_sync.service_layer.deps import Deps


def check_my_number(number: str | None, location: str) -> None:
    if number is not None and not is_valid_my_number(number):
        raise PermanentError(f"{location}: 個人番号 check digit mismatch")


def open_my_number(
    sealed: SealedMyNumber | None, location: str, deps: Deps, *, routing_key: str, addressee_id: str
) -> str | None:
    """The 個人番号 of a command, opened with address-sync's transport key and checked (issue 13 item 4)."""
    if sealed is None:
        return None
    try:
        number = deps.require_transport().open(
            sealed.key_id, sealed.sealed, routing_key=routing_key, addressee_id=addressee_id
        )
    except SealedNumberRefused as refused:
        raise PermanentError(f"{location}: {refused.code}") from None
    check_my_number(number, location)
    return number


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


class RevisionRefused(PermanentError):
    """A revision outside what the policy admits (HTTP answers 409; the bus dead-letters it)."""


def admit_revision(policy: RevisionPolicy, incoming: int, held: int | None, location: str) -> bool:
    """True: apply; False: a stale revision to ignore; RevisionRefused: out of the window (issue 13 item 2)."""
    verdict = policy.judge(incoming, held)
    if verdict is RevisionVerdict.APPLY:
        return True
    if verdict is RevisionVerdict.OUT_OF_WINDOW or policy.stale_is_conflict:
        raise RevisionRefused(f"{location}: revision_{verdict.value} (expected {policy.expected(held)})")
    return False
