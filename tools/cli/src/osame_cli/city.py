"""A deterministic synthetic city for the demo and the end-to-end tests.

Everything here is invented: names, addresses, 個人番号 and amounts come from a seeded random
generator. The day's receipts mix every outcome the ledger must handle: exact, partial
and over-payments, a receipt for an unknown notice, a duplicate of the same payment,
and households that do not pay. `City.register` adds the 住基 side of the day (a few residents'
異動, a 住登外者 merged by 同一人判定, a 支援措置), each person owing a past-due 固定資産税 期別.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from dataclasses import dataclass, field

from osame_chassis.sealed_number import (
    DEMO_TRANSPORT_KEYS,
    DEMO_TRANSPORT_PRIVATE,
    RecipientKey,
    TransportKeyring,
    public_of,
    seal,
)
from osame_contracts.messages import address_sync, receipts, taxation
from osame_contracts.my_number import my_number_check_digit

# The demo 住基 seals each 個人番号 to address-sync's transport key (issue 13 item 4). The city is
# synthetic and reproducible, so its key is the fixed demo key: the local stack gives address-sync
# its private half (`DEMO_TRANSPORT_KEYS`, refused outside development); a real 住基 gets the city's
# real public key.
DEMO_RECIPIENT = RecipientKey.parse(f"demo:{public_of(DEMO_TRANSPORT_PRIVATE)}")


def sealed_number(number: str, routing_key: str, addressee_id: str) -> dict[str, str]:
    """`number` sealed to the demo transport key, reproducibly (entropy from the message itself)."""
    entropy = hashlib.sha512(f"{routing_key}|{addressee_id}|{number}".encode()).digest()[:44]
    return seal(number, DEMO_RECIPIENT, routing_key=routing_key, addressee_id=addressee_id, entropy=entropy)


def opened_number(message) -> str | None:
    """The 個人番号 a demo message carries, opened with the demo key (for the demo's own checks)."""
    sealed = getattr(getattr(message, "fields", message), "my_number", None)
    if sealed is None:
        return None
    return TransportKeyring.parse(DEMO_TRANSPORT_KEYS).open(
        sealed.key_id, sealed.sealed, routing_key=message.routing_key, addressee_id=message.addressee_id
    )


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


TAKAOKA = "162027"  # 全国地方公共団体コード of the synthetic city


@dataclass
class Register:
    """The 住基 / 宛名管理 side of the day, in the order the outside systems send it.

    `arrivals` (支援措置, 転入 with 個人番号, a 住登外者) first, then `changes` (転居, 死亡, and the
    転入 of the 住登外者 into the city with the same 個人番号 → 名寄せ), then `cancellations`
    (異動の取消し of a 転居), each wave once the one before has settled: the register sends a
    person's 異動 in sequence. `assessments` give every one of them a past-due 期別 (so the nightly
    batch issues their 督促). The roles name who is who; `addresses` holds the printed addresses
    the demo checks the print file against (they are never printed by the demo).
    """

    arrivals: list = field(default_factory=list)
    changes: list = field(default_factory=list)
    cancellations: list = field(default_factory=list)
    assessments: list[taxation.AssessmentRegistered] = field(default_factory=list)
    mover: str = ""  # 転入 with 個人番号, then 転居; delinquent: the 財産調査 income queries ask about them
    deceased: str = ""  # 転入, then 死亡: the 督促 is held (承継 is the next step)
    reverted: str = ""  # 転入, 転居, then the 転居 取消: the 督促 goes to the first address
    protected: str = ""  # 支援措置 before the 転入: the 督促 is held, the address never printed
    non_resident: str = ""  # 住登外者 (land owner elsewhere) with a 個人番号 …
    survivor: str = ""  # … who moves into the city: same 個人番号 → merged into this record
    addresses: dict[str, str] = field(default_factory=dict)  # role → printed address (the 督促's)
    old_addresses: list[str] = field(default_factory=list)  # addresses no 督促 may carry

    @property
    def resident_changes(self) -> int:
        return sum(isinstance(m, address_sync.RecordResidentChange) for m in self.messages)

    @property
    def messages(self) -> list:
        return [*self.arrivals, *self.changes, *self.cancellations]

    @property
    def people(self) -> int:
        return len({m.addressee_id for m in self.messages})

    def notice_of(self, addressee_id: str) -> str:
        return next(a.notice_number for a in self.assessments if a.addressee_id == addressee_id)


@dataclass
class City:
    day: dt.date
    addressees: list[address_sync.UpsertAddressee] = field(default_factory=list)
    assessments: list[taxation.AssessmentRegistered] = field(default_factory=list)
    receipts: list[receipts.RecordReceipt] = field(default_factory=list)
    expected: Expected = field(default_factory=Expected)
    traced_receipt: receipts.RecordReceipt | None = None
    register: Register = field(default_factory=Register)


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


ASSESSED_ON = {
    taxation.TaxItem.RESIDENT_TAX: dt.date(2026, 6, 1),
    taxation.TaxItem.FIXED_ASSET_TAX: dt.date(2026, 4, 1),
}


def _assessment(
    addressee_id: str,
    notice: str,
    tax_item: taxation.TaxItem,
    installments: list[taxation.AssessedInstallment],
) -> taxation.AssessmentRegistered:
    """A first 調定 (revision 1) of fiscal year 2026, on the tax item's assessment date."""
    return taxation.AssessmentRegistered(
        addressee_id=addressee_id,
        notice_number=notice,
        fiscal_year=2026,
        tax_year=2026,
        tax_item=tax_item,
        revision=1,
        assessed_on=ASSESSED_ON[tax_item],
        installments=installments,
    )


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
        city.assessments.append(_assessment(addressee_id, notice, taxation.TaxItem.RESIDENT_TAX, resident))
        payable.append((notice, resident[0], addressee_id))
        if rng.random() < 0.4 or n == 0:  # household 0 always owes a fixed-asset installment (充当 target)
            fixed = _installments(rng.randrange(20_000, 300_000, 100), FIXED_ASSET_DUES)
            fixed_notice = f"K2026{n:06d}"
            city.assessments.append(
                _assessment(addressee_id, fixed_notice, taxation.TaxItem.FIXED_ASSET_TAX, fixed)
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
    city.register = build_register(random.Random(f"{seed}-register"), day)
    return city


def _my_number(rng: random.Random) -> str:
    """An invented 個人番号 with a valid 検査用数字 (never a real person's: the city is synthetic)."""
    first = f"{rng.randrange(10**10, 10**11):011d}"
    return first + str(my_number_check_digit(first))


def build_register(rng: random.Random, day: dt.date) -> Register:
    """Six people of the 住基 / 宛名管理 side of the day; the numbers and texts come from `rng`."""
    ids = [f"{700001 + i}" for i in range(6)]
    reg = Register(
        mover=ids[0], deceased=ids[1], reverted=ids[2], protected=ids[3], non_resident=ids[4], survivor=ids[5]
    )

    def person():
        (sur, sur_kana), (given, given_kana) = rng.choice(SURNAMES), rng.choice(GIVEN)
        return f"{sur} {given}", f"{sur_kana} {given_kana}"

    used: set[str] = set()

    def place(prefecture_city: str = "富山県高岡市", postal: str = "933") -> address_sync.StructuredAddress:
        # 丁目 addresses: disjoint from the households' (町N番M号), and distinct from each other,
        # so the print-file checks below can tell one address from another.
        printed = ""
        while not printed or printed in used:
            town, block = (
                rng.choice(TOWNS),
                f"{rng.randint(1, 5)}丁目{rng.randint(1, 20)}番{rng.randint(1, 30)}号",
            )
            printed = f"{prefecture_city}{town}{block}"
        used.add(printed)
        code = TAKAOKA if postal == "933" else ""
        return address_sync.StructuredAddress(
            municipality_code=code, postal_code=f"{postal}-{rng.randint(0, 9999):04d}", printed=printed
        )

    def change(addressee_id, sequence, kind, on, cancels=None, **fields):
        if "my_number" in fields:
            fields["my_number"] = sealed_number(
                fields["my_number"], address_sync.RecordResidentChange.routing_key, addressee_id
            )
        return address_sync.RecordResidentChange(
            change_id=f"demo-{addressee_id}-{sequence}",
            addressee_id=addressee_id,
            sequence=sequence,
            change_kind=kind,
            changed_on=on,
            notified_on=on,
            cancels_change_id=cancels,
            fields=address_sync.ResidentFields(**fields),
        )

    kind = address_sync.ChangeKind
    arrived = day - dt.timedelta(days=90)
    first = {}
    for addressee_id in ids[:4]:
        name, kana = person()
        first[addressee_id] = place()
        if addressee_id == reg.protected:  # 支援措置 is in force before the address is ever known
            reg.arrivals.append(
                address_sync.SetProtection(
                    addressee_id=addressee_id, revision=1, protected=True, effective_on=arrived
                )
            )
        reg.arrivals.append(
            change(
                addressee_id,
                1,
                kind.MOVED_IN,
                arrived,
                name=name,
                name_kana=kana,
                address=first[addressee_id],
                my_number=_my_number(rng),
            )
        )
    moved, undone = place(), place()
    reg.changes.append(change(reg.mover, 2, kind.MOVED_WITHIN, day - dt.timedelta(days=45), address=moved))
    reg.changes.append(change(reg.deceased, 2, kind.DEATH, day - dt.timedelta(days=20)))
    reg.changes.append(
        change(reg.reverted, 2, kind.MOVED_WITHIN, day - dt.timedelta(days=30), address=undone)
    )
    reg.cancellations.append(
        change(
            reg.reverted,
            3,
            kind.CANCELLATION,
            day - dt.timedelta(days=25),
            cancels=f"demo-{reg.reverted}-2",
        )
    )
    # 住登外者: taxed on land in the city while living elsewhere; later moves in (同一人: same 個人番号).
    name, kana = person()
    shared_number = _my_number(rng)
    elsewhere = place("東京都港区", "105")
    reg.arrivals.append(
        address_sync.RegisterNonResident(
            addressee_id=reg.non_resident,
            version=1,
            name=name,
            name_kana=kana,
            address=elsewhere,
            my_number=sealed_number(
                shared_number, address_sync.RegisterNonResident.routing_key, reg.non_resident
            ),
        )
    )
    home = place()
    reg.changes.append(
        change(
            reg.survivor,
            1,
            kind.MOVED_IN,
            day - dt.timedelta(days=60),
            name=name,
            name_kana=kana,
            address=home,
            my_number=shared_number,
        )
    )
    reg.addresses = {
        "mover": moved.printed,
        "reverted": first[reg.reverted].printed,
        "survivor": home.printed,
        "protected": first[reg.protected].printed,
    }
    reg.old_addresses = [first[reg.mover].printed, undone.printed, elsewhere.printed]
    for k, addressee_id in enumerate([*ids[:4], reg.non_resident]):
        installments = _installments(rng.randrange(20_000, 200_000, 100), FIXED_ASSET_DUES)
        reg.assessments.append(
            _assessment(addressee_id, f"J2026{k:06d}", taxation.TaxItem.FIXED_ASSET_TAX, installments)
        )
    return reg
