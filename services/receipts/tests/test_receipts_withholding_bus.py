"""給与特別徴収 through the real broker and PostgreSQL (issue 15 phase 2 step 1).

Receipts runs as its own broker user on a fresh database; the 税務システム publishes as its own
user (`taxation`, whose topic permission now covers the taxation.special-collection.* keys).
One 義務者 with three employees over two months:

- 決定 (rev 1): A 8,700, B 7,900, C 5,000 a month;
- 異動 of C in July (rev 2): C's months from August are 0;
- June: a 納入書 of 21,600 → every employee's June paid, in 通知書番号 order;
- July: an eLTAX payment listing A 9,000 (300 over), B 7,900, C 5,000;
- 変更 of B from June to 7,000 (rev 3): June and July keep their money, 900 each is a 過納.

Money: 43,500 in = 41,400 applied + 2,100 過納; the three OverpaymentDetected events reach the
broker from receipts' user.
"""

from __future__ import annotations

import datetime as dt
import json

import aio_pika
import pytest
from osame_chassis.testing import ServiceHarness, eventually
from osame_contracts.messages import receipts
from osame_contracts.messages import taxation_special_collection as sc
from osame_receipts.adapters import orm, repository
from osame_receipts.adapters import withholding_files as files
from osame_receipts.bootstrap import ReceiptsSettings, build_spec
from osame_receipts.service_layer import withholding_imports
from sqlalchemy import select

pytestmark = pytest.mark.integration
D = dt.date
OBLIGOR, DESIGNATION = "500001", "0012345"
A, B, C = "T2026-0001", "T2026-0002", "T2026-0003"
PEOPLE = {A: "600001", B: "600002", C: "600003"}


def lines(amounts):
    return [
        sc.EmployeeWithholding(
            addressee_id=PEOPLE[n], notice_number=n, annual_amount=sum(m), monthly_amounts=m
        )
        for n, m in amounts.items()
    ]


def header(model, revision, amounts, **extra):
    return model(
        obligor_addressee_id=OBLIGOR,
        designation_number=DESIGNATION,
        fiscal_year=2026,
        revision=revision,
        notified_on=D(2026, 5, 20),
        remittance_schedule=sc.RemittanceSchedule.MONTHLY,
        part_no=1,
        part_count=1,
        employees=lines(amounts),
        **extra,
    )


@pytest.fixture
def database_url(pg_databases):
    [url] = pg_databases(1)
    return url


@pytest.fixture
async def receipts_live(broker_prefix, broker_accounts, database_url):
    """Receipts on a fresh PostgreSQL database, consuming and relaying as its own broker user."""
    url = database_url
    settings = ReceiptsSettings(
        database_url=url,
        amqp_url=broker_accounts.url("receipts"),
        amqp_prefix=broker_prefix,
        telemetry_enabled=False,
        outbox_poll_interval=0.05,
        handler_retry_attempts=1,
        business_date=D(2026, 8, 31),
    )
    svc = ServiceHarness(build_spec, settings, orm.metadata)
    await svc.start()
    yield svc
    await svc.stop()
    await svc.close()


async def publish_as_taxation(accounts, message) -> None:
    names = accounts.names
    connection = await aio_pika.connect(accounts.url("taxation"))
    try:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.get_exchange(names.events().name, ensure=False)
        await exchange.publish(
            aio_pika.Message(
                message.model_dump_json().encode(),
                delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
                message_id=f"tax-{message.routing_key}-{message.revision}",
                type=message.message_type(),
                user_id=names.user("taxation"),
                content_type="application/json",
            ),
            message.routing_key,
            timeout=10,
        )
    finally:
        await connection.close()


async def paid(svc, notice):
    rows = await svc.rows(orm.installments)
    return {
        r["installment_no"]: (r["principal_tax"], r["paid"]) for r in rows if r["notice_number"] == notice
    }


async def import_file(svc, kind, data, name):
    async with svc.runtime.unit_of_work() as uow:
        report = await withholding_imports.import_withholding(uow, kind, data, file=name)
        await uow.commit()
    assert report.status == "applied", report.errors
    return report


async def test_one_obligor_three_employees_two_months(receipts_live, broker_accounts, amqp_url):
    svc = receipts_live
    names = broker_accounts.names
    # a listener for what receipts announces to refunds (the 過納)
    admin = await aio_pika.connect(amqp_url)
    channel = await admin.channel()
    overpayments = await channel.declare_queue(exclusive=True)
    await overpayments.bind(names.events().name, receipts.OverpaymentDetected.routing_key)
    try:
        await publish_as_taxation(
            broker_accounts,
            header(sc.SpecialCollectionDetermined, 1, {A: [8_700] * 12, B: [7_900] * 12, C: [5_000] * 12}),
        )
        await eventually(lambda: _months(svc, 36), timeout=30)
        await publish_as_taxation(
            broker_accounts,
            sc.SpecialCollectionSeparated(
                obligor_addressee_id=OBLIGOR,
                designation_number=DESIGNATION,
                fiscal_year=2026,
                addressee_id=PEOPLE[C],
                notice_number=C,
                revision=2,
                reason=sc.SeparationReason.RETIREMENT,
                event_on=D(2026, 7, 20),
                reported_on=D(2026, 7, 27),
                annual_amount=60_000,
                last_withheld_month="2026-07",
                withheld_total=10_000,
                ordinary=50_000,
            ),
        )
        await eventually(lambda: _separated(svc), timeout=30)

        june = [
            [
                "D",
                "0001",
                "001",
                "1",
                DESIGNATION,
                "2026",
                "06",
                "21600",
                "0",
                "0",
                "21600",
                "3",
                "20260709",
                "20260710",
            ]
        ]
        await import_file(svc, "withholding-ocr", files.write("withholding-ocr", june), "nounyu-2026-06.csv")
        july = [
            [
                "D",
                "EL0000777",
                DESIGNATION,
                "2026",
                "07",
                "21900",
                "0",
                "0",
                "21900",
                "3",
                "20260810",
                "20260811",
                "",
                "",
            ]
        ]
        july += [
            ["E", "EL0000777", "", "", "", str(a), "", "", "", "", "", "", n, PEOPLE[n]]
            for n, a in ((A, 9_000), (B, 7_900), (C, 5_000))
        ]
        await import_file(
            svc, "withholding-eltax", files.write("withholding-eltax", july), "eltax-2026-07.csv"
        )

        await publish_as_taxation(
            broker_accounts, header(sc.SpecialCollectionChanged, 3, {B: [7_000] * 12}, changed_from="2026-06")
        )
        await eventually(lambda: _b_lowered(svc), timeout=30)

        assert [(await paid(svc, n))[1][1] for n in (A, B, C)] == [8_700, 7_000, 5_000]
        assert [(await paid(svc, n))[2][1] for n in (A, B, C)] == [8_700, 7_000, 5_000]
        assert [v[0] for k, v in sorted((await paid(svc, C)).items())] == [5_000, 5_000] + [0] * 10
        async with svc.runtime.sessions() as session:
            money = await repository.money(session, OBLIGOR)
        held_over = sum(r["amount"] for r in await svc.rows(orm.overpayments))
        assert (money["received"], money["applied"], held_over) == (43_500, 41_400, 2_100)

        bodies = []
        async with overpayments.iterator(timeout=30) as stream:
            async for message in stream:
                async with message.process():
                    assert message.user_id == names.user("receipts")
                    bodies.append(json.loads(message.body))
                if len(bodies) == 3:
                    break
        assert sorted((b["notice_number"], b["installment_no"], b["amount"], b["cause"]) for b in bodies) == [
            (A, 2, 300, "erroneous_payment"),
            (B, 1, 900, "reassessment"),
            (B, 2, 900, "reassessment"),
        ]
        assert {b["addressee_id"] for b in bodies} == {OBLIGOR}  # the payer is the 義務者
    finally:
        await admin.close()


async def _months(svc, count) -> bool:
    return len(await svc.rows(orm.installments)) == count


async def _separated(svc) -> bool:
    async with svc.runtime.sessions() as session:
        month = (
            await session.execute(
                select(orm.withholding_employees.c.separated_month).where(
                    orm.withholding_employees.c.notice_number == C
                )
            )
        ).scalar_one_or_none()
    return month == "2026-07"


async def _b_lowered(svc) -> bool:
    return (await paid(svc, B)).get(1, (0, 0))[0] == 7_000
