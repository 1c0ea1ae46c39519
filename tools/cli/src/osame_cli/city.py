"""A deterministic synthetic city for the demo and the end-to-end tests.

Everything here is invented: names, addresses and amounts come from a seeded random
generator. The day's receipts mix every outcome the ledger must handle: exact, partial
and over-payments, a receipt for an unknown notice, a duplicate of the same payment,
and households that do not pay.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from osame_contracts.messages import address_sync, receipts, taxation

SURNAMES = [
    ("高岡", "タカオカ"),
    ("山田", "ヤマダ"),
    ("佐藤", "サトウ"),
    ("中川", "ナカガワ"),
    ("石黒", "イシグロ"),
    ("林", "ハヤシ"),
    ("森", "モリ"),
    ("水野", "ミズノ"),
    ("大野", "オオノ"),
    ("村井", "ムライ"),
]
GIVEN = [
    ("太郎", "タロウ"),
    ("花子", "ハナコ"),
    ("一郎", "イチロウ"),
    ("美咲", "ミサキ"),
    ("健", "ケン"),
    ("由美", "ユミ"),
    ("翔", "ショウ"),
    ("恵", "メグミ"),
]
TOWNS = ["末広町", "御旅屋町", "守山町", "木舟町", "博労本町", "中川本町", "伏木古府", "戸出町"]
CHANNELS = [
    receipts.Channel.CONVENIENCE_STORE,
    receipts.Channel.BANK_COUNTER,
    receipts.Channel.DIRECT_DEBIT,
    receipts.Channel.MPN,
    receipts.Channel.ELTAX,
    receipts.Channel.COUNTER,
]

RESIDENT_TAX_DUES = [dt.date(2026, 6, 30), dt.date(2026, 8, 31), dt.date(2026, 10, 31), dt.date(2027, 1, 31)]
FIXED_ASSET_DUES = [dt.date(2026, 4, 30), dt.date(2026, 7, 31), dt.date(2026, 12, 25), dt.date(2027, 2, 28)]


@dataclass
class Expected:
    receipts: int = 0
    unmatched: int = 0
    settled: int = 0
    partly_paid: int = 0
    overpayments: int = 0
    receipts_yen: int = 0
    overpaid_yen: int = 0


@dataclass
class City:
    day: dt.date
    addressees: list[address_sync.UpsertAddressee] = field(default_factory=list)
    assessments: list[taxation.AssessmentRegistered] = field(default_factory=list)
    receipts: list[receipts.RecordReceipt] = field(default_factory=list)
    expected: Expected = field(default_factory=Expected)
    traced_receipt: receipts.RecordReceipt | None = None


def _installments(total: int, dues: list[dt.date]) -> list[taxation.AssessedInstallment]:
    """Split `total` over the installments; the first takes the remainder (端数は第1期)."""
    base = total // len(dues) // 100 * 100
    first = total - base * (len(dues) - 1)
    return [
        taxation.AssessedInstallment(
            installment_no=i + 1, principal_tax=first if i == 0 else base, due_date=d
        )
        for i, d in enumerate(dues)
    ]


def build_city(households: int = 200, seed: int = 2026, day: dt.date = dt.date(2026, 6, 30)) -> City:
    rng = random.Random(seed)
    city = City(day=day)
    payable: list[tuple[str, taxation.AssessedInstallment, str]] = []
    for n in range(households):
        addressee_id = f"{100000 + n}"
        (sur, sur_kana), (given, given_kana) = rng.choice(SURNAMES), rng.choice(GIVEN)
        city.addressees.append(
            address_sync.UpsertAddressee(
                addressee_id=addressee_id,
                version=1,
                name=f"{sur} {given}",
                name_kana=f"{sur_kana} {given_kana}",
                postal_code=f"933-{rng.randint(0, 9999):04d}",
                address=f"富山県高岡市{rng.choice(TOWNS)}{rng.randint(1, 9)}番{rng.randint(1, 30)}号",
                protected=rng.random() < 0.02,
            )
        )
        resident = _installments(rng.randrange(40_000, 400_000, 100), RESIDENT_TAX_DUES)
        notice = f"R2026{n:06d}"
        city.assessments.append(
            taxation.AssessmentRegistered(
                addressee_id=addressee_id,
                notice_number=notice,
                fiscal_year=2026,
                tax_year=2026,
                tax_item=taxation.TaxItem.RESIDENT_TAX,
                revision=1,
                assessed_on=dt.date(2026, 6, 1),
                installments=resident,
            )
        )
        payable.append((notice, resident[0], addressee_id))
        if rng.random() < 0.4 or n == 0:  # household 0 always owes a fixed-asset installment (充当 target)
            fixed = _installments(rng.randrange(20_000, 300_000, 100), FIXED_ASSET_DUES)
            fixed_notice = f"K2026{n:06d}"
            city.assessments.append(
                taxation.AssessmentRegistered(
                    addressee_id=addressee_id,
                    notice_number=fixed_notice,
                    fiscal_year=2026,
                    tax_year=2026,
                    tax_item=taxation.TaxItem.FIXED_ASSET_TAX,
                    revision=1,
                    assessed_on=dt.date(2026, 4, 1),
                    installments=fixed,
                )
            )
            payable.append((fixed_notice, fixed[1], addressee_id))

    for k, (notice, inst, _addressee) in enumerate(payable):
        roll = rng.random()
        if k == 0:
            roll = 0.95  # every city has at least one over-payment, so the whole flow is exercised
        if roll < 0.15:
            continue  # does not pay today
        if roll < 0.75:
            amount = inst.principal_tax
            city.expected.settled += 1
        elif roll < 0.90:
            amount = inst.principal_tax // 2
            city.expected.partly_paid += 1
        else:
            extra = rng.randrange(1_000, 20_000, 100)
            amount = inst.principal_tax + extra
            city.expected.settled += 1
            city.expected.overpayments += 1
            city.expected.overpaid_yen += extra
        channel = rng.choice(CHANNELS)
        receipt = receipts.RecordReceipt(
            channel=channel,
            channel_key=f"{channel.value}-{day:%Y%m%d}-{k:06d}",
            notice_number=notice,
            installment_no=inst.installment_no,
            amount=amount,
            paid_on=day,
            booked_on=day + dt.timedelta(days=1),
        )
        city.receipts.append(receipt)
        city.expected.receipts += 1
        city.expected.receipts_yen += amount
        if city.traced_receipt is None and amount > inst.principal_tax:
            city.traced_receipt = receipt

    # A receipt nobody can match (wrong notice number on the slip): kept as unmatched, not lost.
    stray = receipts.RecordReceipt(
        channel=receipts.Channel.BANK_COUNTER,
        channel_key=f"bank_counter-{day:%Y%m%d}-stray",
        notice_number="X0000000",
        installment_no=1,
        amount=12_300,
        paid_on=day,
        booked_on=day,
    )
    city.receipts.append(stray)
    city.expected.receipts += 1
    city.expected.unmatched += 1
    city.expected.receipts_yen += stray.amount
    # The same payment reported twice by its channel: one receipt.
    city.receipts.append(city.receipts[0])
    return city
