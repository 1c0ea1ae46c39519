"""Messages the intermediate-server-gw service consumes (each gets its own quorum queue and DLQ)."""

from osame_contracts.messages import address_sync, collection

CONSUMES = (collection.IncomeQueryRequested, address_sync.IndividualNumberChanged)
