"""Refunds service (還付・充当): overpayments, appropriation, refunds."""
