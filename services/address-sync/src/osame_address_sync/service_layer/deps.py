"""What the handlers need beyond the unit of work (built once per process in the composition root)."""

from __future__ import annotations

from dataclasses import dataclass

from osame_chassis.errors import PermanentError
from osame_chassis.sealed_number import TransportKeyring

from osame_address_sync.adapters.sealing import Keyring
from osame_address_sync.domain.revisions import BUS, RevisionPolicy


@dataclass(frozen=True)
class Deps:
    keyring: Keyring | None = None
    # Opens the 個人番号 publishers seal to address-sync on the bus (OSAME_MYNUMBER_TRANSPORT_KEYS).
    transport: TransportKeyring | None = None
    # CROSS-SERVICE WIRING RULE: AddresseeChangedV2 can be switched off (OSAME_PUBLISH_ADDRESSEE_CHANGED_V2).
    # AddresseesMerged (名寄せ) is always published: collection and receipts consume it.
    publish_changed_v2: bool = False
    # Outside systems' revisions are bounded by a window; over HTTP address-sync assigns them (current + 1).
    revisions: RevisionPolicy = BUS
    # 個人番号 release: only for an income query noted this long ago at most, and at most so many a minute.
    release_window_seconds: float = 7200.0
    releases_per_minute: int = 60

    def require_keyring(self) -> Keyring:
        if self.keyring is None:
            raise PermanentError(
                "my_number_key_not_configured: set OSAME_MYNUMBER_KEY, then replay from the DLQ"
            )
        return self.keyring

    def require_transport(self) -> TransportKeyring:
        if self.transport is None:
            raise PermanentError(
                "my_number_transport_key_not_configured: set OSAME_MYNUMBER_TRANSPORT_KEYS, then replay from the DLQ"
            )
        return self.transport
