"""Channels: コンビニ barcode + 速報/確報/取消 file, OCR/MPN/eLTAX normalized files, 窓口, 証券 and 不渡,
unmatched → assigned. Files are built and read by the code."""

from __future__ import annotations

import datetime as dt

import pytest
from osame_contracts.messages import receipts, taxation
from osame_receipts.adapters import cvs, normalized, orm
from osame_receipts.service_layer import channels, handlers

D = dt.date
RECORDED = receipts.ReceiptRecorded.routing_key


@pytest.mark.parametrize(
    ("digits43", "cd"),
    [
        pytest.param("9191234501234567890123456789010103310123000", 3, id="java-comment-1"),
        pytest.param("9194238617895391785393569273010307311031290", 3, id="java-comment-2"),
        pytest.param("9192902321942000000000003755439999999999999", 9, id="go-test"),
        pytest.param("9191234512345678901234567890102605310012300", 4, id="synthetic"),
    ],
)
def test_check_digit_vectors(digits43, cd):
    assert cvs.check_digit(digits43) == cd
    assert cvs.decode_barcode(digits43 + str(cd)).valid
    assert not cvs.decode_barcode(digits43 + str((cd + 1) % 10)).valid


def test_barcode_round_trip():
    code = cvs.build_barcode(
        company_code="912345",
        notice_number="202600001",
        installment_no=3,
        pay_by=D(2026, 10, 31),
        amount=12_300,
    )
    assert len(code) == 44 and code.startswith("91")
    b = cvs.decode_barcode(code)
    assert (b.notice_number, b.installment_no, b.amount, b.pay_by, b.stamp_flag, b.valid) == (
        "202600001",
        3,
        12_300,
        D(2026, 10, 31),
        "0",
        True,
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        pytest.param(dict(amount=300_001), "300,000", id="above-300000"),
        pytest.param(dict(notice_number="R8-1"), "18 digits", id="non-numeric-notice"),
        pytest.param(dict(company_code="12345"), "6 digits", id="company-code"),
    ],
)
def test_barcode_refusals(kwargs, message):
    args = dict(
        company_code="912345", notice_number="1", installment_no=1, pay_by=D(2026, 6, 30), amount=1_000
    )
    with pytest.raises(ValueError, match=message):
        cvs.build_barcode(**{**args, **kwargs})


@pytest.mark.parametrize("code", ["12ab", "9" * 43, "92" + "0" * 42])
def test_unusable_barcodes(code):
    with pytest.raises(cvs.BarcodeError):
        cvs.decode_barcode(code)


async def _ledger(svc, notice="202600001", addressee="600001", principal=10_000, installments=(1,)):
    await svc.handle(
        handlers.record_assessment,
        taxation.AssessmentRegistered(
            addressee_id=addressee,
            notice_number=notice,
            fiscal_year=2026,
            tax_year=2026,
            tax_item=taxation.TaxItem.LIGHT_VEHICLE_TAX,
            revision=1,
            assessed_on=D(2026, 4, 1),
            installments=[
                taxation.AssessedInstallment(
                    installment_no=n, principal_tax=principal, due_date=D(2026, 6, 1)
                )
                for n in installments
            ],
            vehicle_plate="高岡 あ 12-34",
        ),
    )


def _code(notice="202600001", amount=10_000, inst=1):
    return cvs.build_barcode(
        company_code="912345", notice_number=notice, installment_no=inst, pay_by=D(2026, 6, 30), amount=amount
    )


async def _cvs(svc, records, name="cvs.csv"):
    data = cvs.agent_file(records, created_on=D(2026, 6, 3))
    async with svc.runtime.unit_of_work() as uow:
        report = await channels.import_cvs(uow, data, file=name)
        await uow.commit()
    return report


async def test_preliminary_final_and_cancel(service):
    await _ledger(service)
    await _ledger(service, notice="202600002", addressee="600002")
    code1, code2 = _code(), _code("202600002")
    pay = D(2026, 5, 28)
    r1 = await _cvs(
        service, [("01", pay, code1, 10_000, D(2026, 6, 10)), ("01", pay, code2, 10_000, D(2026, 6, 10))]
    )
    assert (r1.applied, r1.duplicates) == (0, 0)
    assert [r["state"] for r in await service.rows(orm.receipts, orm.receipts.c.notice_number)] == [
        "preliminary",
        "preliminary",
    ]
    assert [b["preliminary"] for k, b in await service.events() if k == RECORDED] == [True, True]

    r2 = await _cvs(
        service,
        [
            ("02", pay, code1, 10_000, D(2026, 6, 10)),  # 確報 confirms and applies
            ("03", pay, code2, 10_000, D(2026, 6, 10)),  # 速報取消
            ("01", pay, code1, 10_000, D(2026, 6, 10)),  # late duplicate 速報: ignored
        ],
        "cvs-2.csv",
    )
    assert (r2.applied, r2.duplicates) == (1, 1)
    rows = {r["notice_number"]: r for r in await service.rows(orm.receipts)}
    assert (rows["202600001"]["state"], rows["202600001"]["applied"]) == ("final", 10_000)
    assert rows["202600002"]["state"] == "cancelled"
    paid = {r["notice_number"]: r["paid"] for r in await service.rows(orm.installments)}
    assert paid == {"202600001": 10_000, "202600002": 0}
    recorded = [b for k, b in await service.events() if k == RECORDED]
    assert [(b["notice_number"], b["preliminary"], b["cancelled"]) for b in recorded[2:]] == [
        ("202600001", False, False),
        ("202600002", True, True),
    ]
    assert await service.count(orm.receipts) == 2


async def test_cvs_file_errors_are_located(service):
    await _ledger(service)
    code = _code()
    bad_cd = code[:-1] + str((int(code[-1]) + 1) % 10)
    data = cvs.agent_file(
        [
            ("02", D(2026, 5, 28), code, 10_000, D(2026, 6, 10)),
            ("02", D(2026, 5, 28), bad_cd, 10_000, D(2026, 6, 10)),
            ("07", D(2026, 5, 28), code, 10_000, D(2026, 6, 10)),
        ],
        created_on=D(2026, 6, 3),
    )
    parsed = cvs.parse_agent_file(data, "cvs.csv")
    assert [(e.record_no, e.field) for e in parsed.record_errors] == [(3, "barcode"), (4, "record_type")]
    assert len(parsed.records) == 1
    broken = data.replace(b"99,3,30000", b"99,3,30001")
    assert [(e.record_no, e.field) for e in cvs.parse_agent_file(broken, "x").file_errors] == [(5, "total")]
    async with service.runtime.unit_of_work() as uow:
        report = await channels.import_cvs(uow, broken, file="x")
        await uow.commit()
    assert report.status == "refused" and await service.count(orm.receipts) == 0


@pytest.mark.parametrize(
    ("kind", "rows"),
    [
        pytest.param(
            "ocr", [["0001", "001", "1", "202600001", "1", "10000", "20260520", "20260522"]], id="ocr"
        ),
        pytest.param(
            "mpn",
            [["12345", "202600001", "1234", "001", "10000", "20260520", "20260521", "MPN0001"]],
            id="mpn",
        ),
        pytest.param(
            "eltax",
            [["12345" + "202600001" + "1234" + "001", "10000", "20260520", "20260521", "EL0001"]],
            id="eltax",
        ),
    ],
)
async def test_normalized_channel_files(service, kind, rows):
    await _ledger(service)
    data = normalized.write(kind, rows)
    async with service.runtime.unit_of_work() as uow:
        report = await channels.import_normalized(uow, kind, data, file=f"{kind}.csv")
        await uow.commit()
    assert (report.status, report.applied, report.invalid) == ("applied", 1, 0)
    [receipt] = await service.rows(orm.receipts)
    assert (receipt["channel"], receipt["amount"], receipt["paid_on"]) == (
        normalized.CHANNELS[kind],
        10_000,
        D(2026, 5, 20),
    )
    async with service.runtime.unit_of_work() as uow:  # the same bytes again: a no-op
        again = await channels.import_normalized(uow, kind, data, file=f"{kind}-again.csv")
        await uow.commit()
    assert (again.status, again.applied, again.previous_batch_id) == ("already_imported", 0, report.batch_id)
    async with service.runtime.unit_of_work() as uow:  # the same records re-sent in other bytes
        resent = await channels.import_normalized(uow, kind, data + b"\n", file=f"{kind}-resent.csv")
        await uow.commit()
    assert (resent.status, resent.applied, resent.duplicates) == ("applied", 0, 1)
    assert await service.count(orm.receipts) == 1


def test_normalized_errors_are_located():
    rows = [
        ["0001", "001", "1", "202600001", "1", "10000", "20260520", "20260522"],
        ["9999", "001", "2", "202600001", "1", "500", "2026-05-20", "20260522"],
    ]
    parsed = normalized.parse("ocr", normalized.write("ocr", rows), "ocr.csv")
    assert [(e.record_no, e.field) for e in parsed.record_errors] == [(3, "bank_code"), (3, "paid_on")]
    assert len(parsed.receipts) == 1


async def test_counter_and_double_payment_across_channels(service):
    """F11: paid at the counter and again through eLTAX: the second becomes an overpayment."""
    await _ledger(service)
    async with service.runtime.unit_of_work() as uow:
        await channels.counter_payment(
            uow,
            receipt_no="W-0001",
            notice_number="202600001",
            installment_no=1,
            amount=10_000,
            paid_on=D(2026, 5, 20),
        )
        await uow.commit()
    data = normalized.write(
        "eltax", [["12345" + "202600001" + "1234" + "001", "10000", "20260521", "20260522", "EL9"]]
    )
    async with service.runtime.unit_of_work() as uow:
        await channels.import_normalized(uow, "eltax", data, file="el.csv")
        await uow.commit()
    [over] = await service.rows(orm.overpayments)
    assert (over["amount"], over["reason"]) == (10_000, "double_payment")


async def test_security_dishonour_reopens_the_installment(service):
    await _ledger(service)
    async with service.runtime.unit_of_work() as uow:
        instrument_id, _ = await channels.receive_security(
            uow,
            instrument_number="123456",
            drawee_bank_code="0001",
            notice_number="202600001",
            installment_no=1,
            amount=10_000,
            received_on=D(2026, 5, 20),
        )
        await uow.commit()
    assert (await service.one(orm.installments))["paid"] == 10_000
    async with service.runtime.unit_of_work() as uow:
        await channels.dishonour_security(uow, instrument_id, D(2026, 5, 25))
        await uow.commit()
    assert (await service.one(orm.installments))["paid"] == 0
    receipt = await service.one(orm.receipts)
    assert (receipt["state"], receipt["reversed_on"]) == ("reversed", D(2026, 5, 25))
    (key, body), (reversed_key, _) = (await service.events())[-2:]
    assert (key, reversed_key) == (
        receipts.InstallmentsPartlyPaid.routing_key,
        receipts.ReceiptReversed.routing_key,
    )
    assert body["items"][0]["remaining"] == 10_000 and body["items"][0]["ledger_version"] == 3
    async with service.runtime.unit_of_work() as uow:
        with pytest.raises(channels.ChannelError):
            await channels.dishonour_security(uow, instrument_id, D(2026, 5, 26))


async def test_dishonour_announces_the_reversal(service):
    await _ledger(service)
    async with service.runtime.unit_of_work() as uow:
        instrument_id, receipt_id = await channels.receive_security(
            uow,
            instrument_number="1",
            drawee_bank_code="0001",
            notice_number="202600001",
            installment_no=1,
            amount=4_000,
            received_on=D(2026, 5, 20),
        )
        await channels.dishonour_security(uow, instrument_id, D(2026, 5, 25))
        await uow.commit()
    key, body = (await service.events())[-1]
    assert key == receipts.ReceiptReversed.routing_key
    assert (body["receipt_id"], body["applied"], body["reversed_on"], body["reason"]) == (
        receipt_id,
        4_000,
        "2026-05-25",
        "dishonour",
    )


async def test_unmatched_receipt_is_listed_and_assigned(service):
    await _ledger(service)
    data = normalized.write("ocr", [["0001", "001", "7", "999999", "1", "10000", "20260520", "20260522"]])
    async with service.runtime.unit_of_work() as uow:
        report = await channels.import_normalized(uow, "ocr", data, file="ocr.csv")
        await uow.commit()
    assert report.unmatched == 1
    async with service.runtime.unit_of_work() as uow:
        [item] = await channels.unmatched(uow)
    async with service.runtime.unit_of_work() as uow:
        result = await channels.assign_unmatched(
            uow, item["receipt_id"], notice_number="202600001", installment_no=1
        )
        await uow.commit()
    assert result["applied"] == 10_000
    assert (await service.one(orm.installments))["paid"] == 10_000
    async with service.runtime.unit_of_work() as uow:
        assert await channels.unmatched(uow) == []
        with pytest.raises(channels.ChannelError):
            await channels.assign_unmatched(
                uow, item["receipt_id"], notice_number="202600001", installment_no=1
            )


# ---- issue 11: コンビニ identity, zero/invalid barcodes, report counts -----------------------------


async def test_two_real_cvs_payments_of_one_slip_on_one_day_both_count(service):
    """Defect 4: the key was barcode + 収納日, so the second real payment was dropped. Now it is
    the payment's identity (agent, store, 収納日時, receipt number); a re-sent record counts once."""
    await _ledger(service, principal=20_000)
    code = _code(amount=10_000)
    day, transfer = D(2026, 6, 2), D(2026, 6, 12)
    report = await _cvs(
        service, [("02", day, code, 10_000, transfer, "R1"), ("02", day, code, 10_000, transfer, "R2")]
    )
    assert (report.applied, report.duplicates) == (2, 0)
    [inst] = await service.rows(orm.installments)
    assert inst["paid"] == 20_000
    resent = await _cvs(service, [("02", day, code, 10_000, transfer, "R2")], name="resent.csv")
    assert (resent.applied, resent.duplicates) == (0, 1)
    assert await service.count(orm.receipts) == 2


async def test_cvs_file_imported_twice_is_a_no_op(service):
    await _ledger(service)
    data = cvs.agent_file(
        [("02", D(2026, 6, 2), _code(), 10_000, D(2026, 6, 12), "R1")], created_on=D(2026, 6, 3)
    )
    for name in ("a.csv", "b.csv"):
        async with service.runtime.unit_of_work() as uow:
            report = await channels.import_cvs(uow, data, file=name)
            await uow.commit()
    assert (report.status, report.applied) == ("already_imported", 0)
    assert await service.count(orm.receipts) == 1


def _zero_code():
    body = "91" + "912345" + "202600001".rjust(18, "0") + "01" + "0" + "0" + "260630" + "0" + "000000"
    return body + str(cvs.check_digit(body))


async def test_zero_amount_barcode_is_a_located_error_not_a_traceback(service):
    """Defect 8: a ¥0 barcode crashed the import (RecordReceipt amount > 0)."""
    await _ledger(service)
    report = await _cvs(service, [("02", D(2026, 6, 2), _zero_code(), 0, D(2026, 6, 12), "R1")])
    assert report.status == "applied"
    assert [(e.record_no, e.field) for e in report.errors] == [(2, "barcode")]
    assert "zero" in report.errors[0].message
    assert await service.count(orm.receipts) == 0
    assert await service.count(orm.suspense_items) == 0  # ¥0 is no money to hold


async def test_bad_check_digit_money_is_held_and_the_file_reconciles(service):
    """Defect 10: money on a record with a bad check digit was neither held nor counted."""
    await _ledger(service)
    good = _code(amount=4_000)
    bad = good[:-1] + str((int(good[-1]) + 1) % 10)
    report = await _cvs(
        service,
        [
            ("02", D(2026, 6, 2), good, 4_000, D(2026, 6, 12), "R1"),
            ("02", D(2026, 6, 2), bad, 4_000, D(2026, 6, 12), "R2"),
        ],
    )
    assert (report.applied, report.invalid, report.held, report.held_yen) == (1, 1, 1, 4_000)
    [item] = await service.rows(orm.suspense_items)
    assert (item["record_no"], item["field"], item["amount"], item["notice_number"]) == (
        3,
        "barcode",
        4_000,
        "202600001",
    )


async def test_implausible_cvs_dates_are_held_with_a_located_message(service):
    await _ledger(service)
    service.runtime.settings.business_date = D(2026, 6, 20)
    report = await _cvs(
        service,
        [
            ("02", D(2026, 7, 2), _code(), 10_000, D(2026, 7, 12), "R1"),  # 収納日 after the business date
            ("02", D(2026, 6, 2), _code(), 10_000, D(2026, 5, 12), "R2"),  # 振込予定日 before 収納日
        ],
    )
    assert [(e.record_no, e.field) for e in report.errors] == [(2, "paid_on"), (3, "transfer_on")]
    assert "after the business date 2026-06-20" in report.errors[0].message
    assert (report.applied, report.held, report.held_yen) == (0, 2, 20_000)
    assert await service.count(orm.receipts) == 0


async def test_cvs_report_counts_overpayments_and_events(service):
    """Defect 13: the CVS report said 0 overpayments and 0 events when it created both."""
    await _ledger(service, principal=10_000)
    report = await _cvs(service, [("02", D(2026, 6, 2), _code(amount=12_000), 12_000, D(2026, 6, 12), "R1")])
    assert report.overpayments == 1
    total = len(await service.events())  # with the assessment's event
    assert report.events == 3  # recorded, settled, overpayment detected
    assert [k for k, _ in await service.events()][-3:] == [
        receipts.ReceiptRecorded.routing_key,
        receipts.InstallmentsSettled.routing_key,
        receipts.OverpaymentDetected.routing_key,
    ]
    assert total == 4


# ---- issue 11 defect 7: 不渡 after 減額更正, and of a cheque that overpaid --------------------------


async def _cheque(service, amount, number="777", notice="202600001", inst=1):
    async with service.runtime.unit_of_work() as uow:
        instrument_id, receipt_id = await channels.receive_security(
            uow,
            instrument_number=number,
            drawee_bank_code="0001",
            notice_number=notice,
            installment_no=inst,
            amount=amount,
            received_on=D(2026, 5, 20),
        )
        await uow.commit()
    return instrument_id, receipt_id


async def _dishonour(service, instrument_id, on=D(2026, 5, 28)):
    async with service.runtime.unit_of_work() as uow:
        await channels.dishonour_security(uow, instrument_id, on)
        await uow.commit()


def _withdrawn(events):
    return [b for k, b in events if k == receipts.OverpaymentWithdrawn.routing_key]


async def test_dishonour_after_reduction_withdraws_the_overpayment_it_created(service):
    """Defect 7: 不渡 after a 減額更正 made the stored paid amount negative (crash), and the 過納
    made of the bounced cheque's money stayed refundable."""
    await _ledger(service)  # 10,000 owed
    instrument_id, _ = await _cheque(service, 10_000)
    await service.handle(
        handlers.record_assessment,
        taxation.AssessmentChanged(
            addressee_id="600001",
            notice_number="202600001",
            fiscal_year=2026,
            tax_year=2026,
            tax_item=taxation.TaxItem.LIGHT_VEHICLE_TAX,
            revision=2,
            assessed_on=D(2026, 5, 25),
            installments=[
                taxation.AssessedInstallment(installment_no=1, principal_tax=6_000, due_date=D(2026, 6, 1))
            ],
            vehicle_plate="高岡 あ 12-34",
        ),
    )
    [op] = await service.rows(orm.overpayments)
    assert (op["amount"], op["receipt_id"]) == (4_000, None)
    await _dishonour(service, instrument_id)
    inst = await service.one(orm.installments)
    assert (inst["principal_tax"], inst["paid"]) == (6_000, 0)
    [op] = await service.rows(orm.overpayments)
    assert op["withdrawn"] == 4_000
    [w] = _withdrawn(await service.events())
    assert (w["overpayment_id"], w["amount"], w["reason"]) == (op["overpayment_id"], 4_000, "dishonour")


async def test_dishonour_of_a_cheque_that_overpaid_reverses_its_appropriation(service):
    """Defect 7: a cheque that overpaid was refused (operator decision); now its overpayment is
    withdrawn and the 充当 booked from it reversed, so nothing it paid for stays paid."""
    from osame_receipts.service_layer import appropriation

    await _ledger(service, installments=(1, 2))  # 10,000 + 10,000
    instrument_id, receipt_id = await _cheque(service, 13_000)
    [op] = await service.rows(orm.overpayments)
    assert (op["amount"], op["receipt_id"]) == (3_000, receipt_id)
    await service.handle(
        appropriation.apply_appropriation,
        receipts.AppropriateOverpayment(
            appropriation_id="AP-1",
            overpayment_id=op["overpayment_id"],
            addressee_id="600001",
            appropriable_on=D(2026, 5, 20),
            items=[
                receipts.AppropriationItem(
                    notice_number="202600001", installment_no=2, component="principal_tax", amount=2_000
                )
            ],
        ),
    )
    paid = {i["installment_no"]: i["paid"] for i in await service.rows(orm.installments)}
    assert paid == {1: 10_000, 2: 2_000}
    await _dishonour(service, instrument_id)
    paid = {i["installment_no"]: i["paid"] for i in await service.rows(orm.installments)}
    assert paid == {1: 0, 2: 0}
    [op] = await service.rows(orm.overpayments)
    assert (op["withdrawn"], op["appropriated"]) == (3_000, 0)
    [w] = _withdrawn(await service.events())
    assert (w["amount"], w["appropriations_reversed"]) == (3_000, ["AP-1"])
    states = {r["channel"]: r["state"] for r in await service.rows(orm.receipts)}
    assert states == {"security_instrument": "reversed", "appropriation": "reversed"}
    [a] = await service.rows(orm.appropriations)
    assert a["outcome"] == "reversed"


async def test_a_resent_invalid_record_is_held_once(service):
    """The same bad record in a re-sent file (other bytes) is not held a second time."""
    await _ledger(service)
    rows = [["9999", "001", "7", "202600001", "1", "3000", "20260520", "20260521"]]
    for data in (normalized.write("ocr", rows), normalized.write("ocr", rows) + b"\n"):
        async with service.runtime.unit_of_work() as uow:
            report = await channels.import_normalized(uow, "ocr", data, file="ocr.csv")
            await uow.commit()
    assert (report.status, report.held) == ("applied", 0)
    [item] = await service.rows(orm.suspense_items)
    assert item["amount"] == 3_000
