"""全銀協 fixed-length files (interfaces.md §1): one home for the format.

- `codec`: the 120-byte record, N and C fields, the one kana alphabet, located errors.
- `banks`: bank and branch codes against the kept zengin-code master.
- `debit`: 預金口座振替 (種別91) request and result files (receipts).
- `transfer`: 総合振込 (種別21) payout files (refunds).
"""
