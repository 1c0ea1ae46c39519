"""Messages the address-sync service consumes (each gets its own quorum queue and DLQ)."""

from osame_contracts.messages import address_sync

CONSUMES = (address_sync.UpsertAddressee,)
