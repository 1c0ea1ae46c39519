"""調定 ledger completeness: five taxes with holiday-shifted 納期限, 標識番号, 森林環境税, change kinds,
督促手数料/延滞金/不納欠損 from collection, and the 消込 order over those components."""

from __future__ import annotations

import datetime as dt
from functools import partial

import pytest
from osame_contracts.messages import collection, receipts, taxation
from osame_receipts.adapters import orm
from osame_receipts.domain.ledger import ChangeKind, classify_change
from osame_receipts.domain.reconciliation import parse_order
from osame_receipts.service_layer import charges, handlers

D = dt.date
T = taxation.TaxItem
ADDRESSEE = "200001"


def _inst(n, principal, due, **parts):
    return taxation.AssessedInstallment(installment_no=n, principal_tax=principal, due_date=due, **parts)


def _assess(notice, item, installments, *, revision=1, changed=False, plate=None):
    model = taxation.AssessmentChanged if changed else taxation.AssessmentRegistered
    return model(
        addressee_id=ADDRESSEE,
        notice_number=notice,
        fiscal_year=2026,
        tax_year=2026,
        tax_item=item,
        revision=revision,
        assessed_on=D(2026, 4, 1),
        installments=installments,
        vehicle_plate=plate,
    )


# (tax, installments as (期別, 本税, statutory 納期限), expected shifted 納期限)
FIVE_TAXES = [
    pytest.param(
        T.RESIDENT_TAX,
        [
            (1, 12_000, D(2026, 6, 30)),
            (2, 11_000, D(2026, 8, 31)),
            (3, 11_000, D(2026, 10, 31)),
            (4, 11_000, D(2027, 1, 31)),
        ],
        [D(2026, 6, 30), D(2026, 8, 31), D(2026, 11, 2), D(2027, 2, 1)],  # 10/31 Sat, 1/31 Sun
        id="個人住民税-4期",
    ),
    pytest.param(
        T.FIXED_ASSET_TAX,
        [
            (1, 30_000, D(2026, 4, 30)),
            (2, 30_000, D(2026, 7, 31)),
            (3, 30_000, D(2026, 12, 25)),
            (4, 30_000, D(2027, 2, 28)),
        ],
        [D(2026, 4, 30), D(2026, 7, 31), D(2026, 12, 25), D(2027, 3, 1)],  # 2/28/2027 Sun
        id="固定資産税-4期",
    ),
    pytest.param(
        T.LIGHT_VEHICLE_TAX, [(1, 10_800, D(2026, 5, 31))], [D(2026, 6, 1)], id="軽自動車税-5月末日曜"
    ),
    pytest.param(
        T.HEALTH_INSURANCE_TAX,
        [
            (n, 9_000, d)
            for n, d in enumerate(
                [
                    D(2026, 7, 31),
                    D(2026, 8, 31),
                    D(2026, 9, 30),
                    D(2026, 10, 31),
                    D(2026, 11, 30),
                    D(2026, 12, 28),
                    D(2027, 1, 4),
                    D(2027, 2, 28),
                ],
                1,
            )
        ],
        [
            D(2026, 7, 31),
            D(2026, 8, 31),
            D(2026, 9, 30),
            D(2026, 11, 2),
            D(2026, 11, 30),
            D(2026, 12, 28),
            D(2027, 1, 4),
            D(2027, 3, 1),
        ],
        id="国民健康保険税-8期",
    ),
    pytest.param(
        T.CORPORATE_RESIDENT_TAX, [(0, 250_000, D(2026, 12, 31))], [D(2027, 1, 4)], id="法人市民税-年末"
    ),
]


@pytest.mark.parametrize(("item", "installments", "due_dates"), FIVE_TAXES)
async def test_five_taxes_with_shifted_due_dates(service, item, installments, due_dates):
    await service.handle(handlers.record_assessment, _assess("N-5", item, [_inst(*i) for i in installments]))
    rows = await service.rows(orm.installments)
    assert [r["due_date"] for r in rows] == due_dates
    assert [r["statutory_due_date"] for r in rows] == [i[2] for i in installments]
    history = await service.rows(orm.assessment_history)
    assert [(h["due_date"], h["statutory_due_date"]) for h in history] == list(
        zip(due_dates, [i[2] for i in installments], strict=True)
    )


async def test_light_vehicle_tax_keeps_its_plate(service):
    await service.handle(
        handlers.record_assessment,
        _assess("K-1", T.LIGHT_VEHICLE_TAX, [_inst(1, 10_800, D(2026, 5, 31))], plate="高岡 480 あ 12-34"),
    )
    assert (await service.one(orm.notices))["vehicle_plate"] == "高岡 480 あ 12-34"


async def test_forest_environment_tax_is_part_of_the_resident_tax_installment(service):
    await service.handle(
        handlers.record_assessment,
        _assess("J-1", T.RESIDENT_TAX, [_inst(1, 6_000, D(2026, 6, 30), forest_environment_tax=1_000)]),
    )
    row = await service.one(orm.installments)
    assert (row["principal_tax"], row["forest_environment_tax"]) == (6_000, 1_000)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param(dict(item=T.FIXED_ASSET_TAX, plate="X 1"), "標識番号", id="plate-on-other-tax"),
        pytest.param(
            dict(item=T.FIXED_ASSET_TAX, forest=1_000), "森林環境税", id="forest-tax-on-fixed-asset"
        ),
        pytest.param(dict(item=T.RESIDENT_TAX, forest=7_000), "exceed", id="forest-tax-above-principal"),
    ],
)
def test_assessment_contract_rejects_misplaced_parts(kwargs, message):
    with pytest.raises(ValueError, match=message):
        _assess(
            "X-1",
            kwargs["item"],
            [_inst(1, 6_000, D(2026, 6, 30), forest_environment_tax=kwargs.get("forest", 0))],
            plate=kwargs.get("plate"),
        )


@pytest.mark.parametrize(
    ("registered", "before", "after", "kind"),
    [
        pytest.param(True, 0, 10_000, ChangeKind.REGISTERED, id="賦課"),
        pytest.param(False, 10_000, 12_000, ChangeKind.INCREASED, id="更正"),
        pytest.param(False, 10_000, 6_000, ChangeKind.REDUCED, id="減額更正"),
        pytest.param(False, 10_000, 0, ChangeKind.CANCELLED, id="取消"),
        pytest.param(False, 10_000, 10_000, ChangeKind.RESCHEDULED, id="same-total"),
        pytest.param(False, 0, 5_000, ChangeKind.INCREASED, id="change-before-registration"),
    ],
)
def test_classify_change(registered, before, after, kind):
    assert classify_change(registered=registered, total_before=before, total_after=after) is kind


async def test_history_keeps_every_revision_with_its_kind(service):
    notice = "H-1"
    lines = [(1, 10_000), (1, 6_000), (1, 0)]
    for revision, (n, amount) in enumerate(lines, 1):
        await service.handle(
            handlers.record_assessment,
            _assess(
                notice,
                T.RESIDENT_TAX,
                [_inst(n, amount, D(2026, 6, 30))],
                revision=revision,
                changed=revision > 1,
            ),
        )
    history = await service.rows(orm.assessment_history)
    assert [(h["revision"], h["kind"], h["principal_tax"]) for h in history] == [
        (1, "registered", 10_000),
        (2, "reduced", 6_000),
        (3, "cancelled", 0),
    ]


def _demand(notice="F-1", fee=100, notice_id="DN-1"):
    return collection.DemandNoticesIssued(
        batch_id="B-1",
        items=[
            collection.IssuedDemandNotice(
                demand_notice_id=notice_id,
                addressee_id=ADDRESSEE,
                notice_number=notice,
                installment_no=1,
                issued_on=D(2026, 7, 20),
                demand_fee=fee,
                principal_tax_due=10_000,
                late_fee_accrued=0,
                earliest_seizure_on=D(2026, 7, 31),
            )
        ],
    )


def _late_fee(amount, version, fixed=True, notice="F-1"):
    return collection.LateFeesAssessed(
        items=[
            collection.AssessedLateFee(
                addressee_id=ADDRESSEE,
                notice_number=notice,
                installment_no=1,
                late_fee=amount,
                computed_to=D(2026, 9, 30),
                fixed=fixed,
                version=version,
            )
        ]
    )


def _pay(amount, key, notice="F-1", channel=receipts.Channel.COUNTER):
    return receipts.RecordReceipt(
        channel=channel,
        channel_key=key,
        notice_number=notice,
        installment_no=1,
        amount=amount,
        paid_on=D(2026, 8, 1),
        booked_on=D(2026, 8, 2),
    )


async def _owing(service, notice="F-1"):
    await service.handle(
        handlers.record_assessment, _assess(notice, T.RESIDENT_TAX, [_inst(1, 10_000, D(2026, 6, 30))])
    )


async def test_demand_fee_is_charged_once_and_paid_first_by_default(service):
    await _owing(service)
    assert await service.handle(charges.charge_demand_fees, _demand()) == 1
    assert await service.handle(charges.charge_demand_fees, _demand(notice_id="DN-2", fee=200)) == 0
    await service.handle(handlers.record_receipt, _pay(5_000, "c-1"))
    row = await service.one(orm.installments)
    assert (row["demand_fee"], row["demand_fee_paid"], row["paid"]) == (100, 100, 4_900)
    receipt = await service.one(orm.receipts)
    assert (receipt["applied_demand_fee"], receipt["applied_principal_tax"]) == (100, 4_900)
    [state] = (await service.events())[-1][1]["items"]
    assert (state["remaining"], state["demand_fee_remaining"]) == (5_100, 0)


async def test_city_policy_can_put_the_fee_after_the_tax(service):
    await _owing(service)
    await service.handle(charges.charge_demand_fees, _demand())
    order = parse_order("principal_tax,demand_fee,late_fee")
    await service.handle(partial(handlers.record_receipt, order=order), _pay(5_000, "c-1"))
    row = await service.one(orm.installments)
    assert (row["demand_fee_paid"], row["paid"]) == (0, 5_000)


async def test_fixed_late_fee_is_owed_last_and_newer_versions_win(service):
    await _owing(service)
    assert await service.handle(charges.charge_late_fees, _late_fee(900, 1, fixed=False)) == 1
    assert (await service.one(orm.installments))["late_fee"] == 0  # accruing amounts are not owed yet
    await service.handle(charges.charge_late_fees, _late_fee(1_200, 3))
    assert await service.handle(charges.charge_late_fees, _late_fee(5_000, 2)) == 0  # stale version
    await service.handle(handlers.record_receipt, _pay(10_500, "c-1"))
    row = await service.one(orm.installments)
    assert (row["paid"], row["late_fee"], row["late_fee_paid"]) == (10_000, 1_200, 500)
    keys = [k for k, _ in await service.events()]
    assert keys[-1] == receipts.InstallmentsPartlyPaid.routing_key  # 延滞金 still owed
    await service.handle(handlers.record_receipt, _pay(700, "c-2"))
    assert [k for k, _ in await service.events()][-1] == receipts.InstallmentsSettled.routing_key


async def test_money_after_write_off_is_an_overpayment_without_liability(service):
    await _owing(service)
    off = collection.InstallmentsWrittenOff(
        items=[
            collection.WrittenOffInstallment(
                addressee_id=ADDRESSEE,
                notice_number="F-1",
                installment_no=1,
                cause=collection.WriteOffCause.LIMITATION,
                principal_tax=10_000,
                late_fee=0,
                demand_fee=0,
                extinguished_on=D(2031, 7, 1),
            )
        ]
    )
    assert await service.handle(charges.write_off, off) == 1
    assert await service.handle(charges.write_off, off) == 0
    await service.handle(handlers.record_receipt, _pay(10_000, "c-1"))
    over = await service.one(orm.overpayments)
    assert (over["amount"], over["reason"]) == (10_000, "no_liability")


async def test_same_notice_paid_through_two_channels_is_a_double_payment(service):
    """F11: 地方税お支払サイト duplicates — the second payment becomes an overpayment."""
    await _owing(service)
    await service.handle(
        handlers.record_receipt, _pay(10_000, "cvs-1", channel=receipts.Channel.CONVENIENCE_STORE)
    )
    await service.handle(handlers.record_receipt, _pay(10_000, "el-1", channel=receipts.Channel.ELTAX))
    over = await service.one(orm.overpayments)
    assert (over["amount"], over["reason"], over["cause"]) == (10_000, "double_payment", "erroneous_payment")
    [event] = [b for k, b in await service.events() if k == receipts.OverpaymentDetected.routing_key]
    assert event["reason"] == "double_payment"
