"""What of an addressee may be disclosed to other services.

支援措置 (DV/stalking victim support measures): a protected addressee's address must not
be disclosed anywhere it could reach a third party, so it is blanked in fan-out events.
"""

from __future__ import annotations


def disclosable_address(address: str, postal_code: str, protected: bool) -> tuple[str, str]:
    """(address, postal_code) that may leave address-sync."""
    if protected:
        return "", ""
    return address, postal_code


def is_newer(incoming_version: int, held_version: int | None) -> bool:
    """Per-addressee sequence: an older change never overwrites a newer one."""
    return held_version is None or incoming_version > held_version
