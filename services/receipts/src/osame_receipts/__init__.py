"""Receipts service (収納管理): the 調定 ledger, receipts from every channel, 消込."""
