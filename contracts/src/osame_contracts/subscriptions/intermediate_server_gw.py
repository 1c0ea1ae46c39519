"""Messages the intermediate-server-gw service consumes (each gets its own quorum queue and DLQ)."""

from osame_contracts.messages import collection

CONSUMES = (collection.IncomeQueryRequested,)
