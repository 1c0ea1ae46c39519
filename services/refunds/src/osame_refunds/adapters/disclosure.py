"""What refunds holds about one 宛名番号, for a 開示請求 (osame_chassis.disclosure): overpayments,
充当 (with the items, including debts of the person under another 宛名番号 after 名寄せ), 還付 with
their 還付加算金 parts and transfer results, withdrawals, recovery claims, letters, the payee
account, the debts it knows of, 名寄せ records, and the access log. Payout files (総合振込, many
people at once) are not copied: the person's refunds name their batch."""

from __future__ import annotations

from osame_chassis.disclosure import Source

from osame_refunds.adapters import orm

APPROPRIATIONS = Source(orm.appropriations, title="充当 (appropriations)")
REFUNDS = Source(orm.refunds, title="還付 (refunds)")

SOURCES = [
    Source(orm.overpayments, title="過誤納金 (overpayments)"),
    APPROPRIATIONS,
    Source(
        orm.appropriation_items,
        "appropriation_id",
        via=(APPROPRIATIONS, "appropriation_id"),
        title="充当 items",
    ),
    REFUNDS,
    Source(orm.transfer_results, "refund_id", via=(REFUNDS, "refund_id"), title="振込 results"),
    Source(orm.refund_interest_parts, title="還付加算金 parts"),
    Source(orm.withdrawals, title="withdrawals (不渡・収納訂正)"),
    Source(orm.recovery_claims, title="recovery claims"),
    Source(orm.taxpayer_notices, title="letters to the taxpayer"),
    Source(orm.payee_accounts, title="還付口座 (payee account)"),
    Source(orm.unpaid_items, title="debts known for 充当"),
    Source(orm.persons, title="person (名寄せ)"),
    Source(orm.addressee_merges, "merged_addressee_id", title="名寄せ (as the merged 宛名番号)"),
    Source(orm.audit_log, omit=("prev_hash", "entry_hash"), title="access log (who looked, when)"),
]
