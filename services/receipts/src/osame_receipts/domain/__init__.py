"""Pure receipts rules: no I/O."""
