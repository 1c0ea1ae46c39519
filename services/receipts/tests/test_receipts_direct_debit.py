"""口座振替 (全銀 種別91): byte-exact files, located errors, F9/F10 refusals, mandates, result import."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from osame_contracts.messages import receipts, taxation
from osame_receipts.adapters import orm
from osame_receipts.domain import direct_debit as rules
from osame_receipts.service_layer import direct_debit, handlers
from osame_zengin import debit as zengin

D = dt.date
DATA = Path(__file__).parent / "data"
REQUEST = (DATA / "zengin91_request_vector.txt").read_bytes()
RESULT = (DATA / "zengin91_result_vector.txt").read_bytes()


def test_request_vector_round_trips_byte_exact():
    parsed = zengin.parse_file(REQUEST, "req", result=False, year=2026)
    assert parsed.errors == []
    f = parsed.file
    assert (f.header.debit_date, f.trailer.count, f.trailer.total) == (D(2026, 5, 27), 2, 16_800)
    assert [(r.amount, r.new_code, r.customer_number) for r in f.records] == [
        (12_300, "0", "00000000000000000001"),
        (4_500, "1", "00000000000000000002"),
    ]
    built = zengin.build_file(f.header, f.records)
    assert built == REQUEST
    assert len(built) == 5 * 122
    assert all(len(line) == 120 for line in built.split(b"\r\n")[:-1])
    assert zengin.build_file(f.header, f.records, crlf=False) == REQUEST.replace(b"\r\n", b"")


def test_result_vector_parses_with_codes_and_totals():
    parsed = zengin.parse_file(RESULT, "res", year=2026)
    assert parsed.errors == []
    f = parsed.file
    assert [r.result_code for r in f.records] == ["0", "1"]
    assert (f.trailer.done_count, f.trailer.done_total, f.trailer.failed_count, f.trailer.failed_total) == (
        1,
        12_300,
        1,
        4_500,
    )
    assert zengin.build_file(f.header, f.records, result=True) == RESULT


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\r\n")[:-1]


def _join(lines: list[bytes]) -> bytes:
    return b"".join(line + b"\r\n" for line in lines)


def _patch(line: bytes, pos: int, new: bytes) -> bytes:
    return line[: pos - 1] + new + line[pos - 1 + len(new) :]


@pytest.mark.parametrize(
    ("mutate", "record_no", "field", "whole_file"),
    [
        pytest.param(
            lambda ls: [ls[0], ls[1], _patch(ls[2], 81, b"0000004600"), *ls[3:]],
            4,
            "合計金額",
            True,
            id="trailer-amount-mismatch",
        ),
        pytest.param(lambda ls: [ls[0], ls[1], *ls[3:]], 3, "合計件数", True, id="trailer-count-mismatch"),
        pytest.param(
            lambda ls: [ls[0], ls[1], ls[2], _patch(ls[3], 20, b"000002"), ls[4]],
            4,
            "振替済件数/金額",
            True,
            id="done-count-mismatch",
        ),
        pytest.param(
            lambda ls: [ls[0], ls[1], ls[2], ls[4], ls[3]], 4, "データ区分", True, id="end-before-trailer"
        ),
        pytest.param(lambda ls: [ls[0], ls[1][:119], *ls[2:]], 2, "record", True, id="short-record"),
        pytest.param(
            lambda ls: [ls[0], _patch(ls[1], 2, b"9999"), *ls[2:]],
            2,
            "引落銀行番号",
            False,
            id="unknown-bank",
        ),
        pytest.param(
            lambda ls: [ls[0], _patch(ls[1], 44, b"76A4321"), *ls[2:]],
            2,
            "口座番号",
            False,
            id="non-digit-account",
        ),
        pytest.param(
            lambda ls: [ls[0], _patch(ls[1], 112, b" "), *ls[2:]],
            2,
            "振替結果コード",
            True,
            id="blank-result-code",
        ),
    ],
)
def test_bad_input_gives_located_errors(mutate, record_no, field, whole_file):
    bad = _join(mutate(_lines(RESULT)))
    parsed = zengin.parse_file(bad, "bank.txt", year=2026)
    located = [(e.file, e.record_no, e.field) for e in parsed.errors]
    assert ("bank.txt", record_no, field) in located
    assert (parsed.file is None) == whole_file


def test_lf_only_line_endings_are_refused():
    parsed = zengin.parse_file(RESULT.replace(b"\r\n", b"\n"), "lf.txt", year=2026)
    assert parsed.file is None and parsed.errors[0].field == "line ending"


TODAY = D(2026, 5, 1)


@pytest.mark.parametrize(
    ("debit_date", "fiscal_year", "message"),
    [
        pytest.param(D(2026, 5, 27), 2026, None, id="future-business-day"),
        pytest.param(D(2026, 4, 30), 2026, "F10", id="past-date-F10"),
        pytest.param(TODAY, 2026, "F10", id="today-F10"),
        pytest.param(D(2026, 5, 30), 2026, "closed day", id="saturday"),
        pytest.param(D(2026, 5, 27), 2025, "F9", id="last-years-data-F9"),
        pytest.param(D(2028, 5, 26), 2026, "F9", id="date-two-cycles-ahead-F9"),
    ],
)
def test_request_refusals(debit_date, fiscal_year, message):
    if message is None:
        rules.check_request(debit_date, fiscal_year, TODAY)
    else:
        with pytest.raises(rules.DebitRequestRefused, match=message):
            rules.check_request(debit_date, fiscal_year, TODAY)


@pytest.mark.parametrize(
    ("terms", "day", "active"),
    [
        pytest.param(
            rules.MandateTerms(D(2026, 3, 1), D(2026, 4, 1)), D(2026, 3, 31), False, id="before-start"
        ),
        pytest.param(rules.MandateTerms(D(2026, 3, 1), D(2026, 4, 1)), D(2026, 4, 1), True, id="from-start"),
        pytest.param(
            rules.MandateTerms(D(2026, 3, 1), D(2026, 4, 1), D(2026, 6, 1)),
            D(2026, 6, 1),
            False,
            id="cancelled",
        ),
        pytest.param(
            rules.MandateTerms(D(2026, 3, 1), D(2026, 4, 1), None, D(2026, 5, 27)),
            D(2026, 6, 30),
            False,
            id="stopped",
        ),
    ],
)
def test_mandate_lifecycle(terms, day, active):
    assert terms.active_on(day) is active


CREDITOR = direct_debit.Creditor(
    code="1234567890", name="ｼﾔｸｼﾖ ｼﾞﾕﾉｳｶ", bank_code="0001", branch_code="123", account_number="1234567"
)
DEBIT = D(2026, 6, 30)


async def _city(service, n=3):
    """n addressees with a resident-tax installment due 6/30 and a mandate each."""
    for k in range(1, n + 1):
        await service.handle(
            handlers.record_assessment,
            taxation.AssessmentRegistered(
                addressee_id=f"30000{k}",
                notice_number=f"DD-{k}",
                fiscal_year=2026,
                tax_year=2026,
                tax_item=taxation.TaxItem.RESIDENT_TAX,
                revision=1,
                assessed_on=D(2026, 6, 1),
                installments=[
                    taxation.AssessedInstallment(installment_no=1, principal_tax=1_000 * k, due_date=DEBIT)
                ],
            ),
        )
        async with service.runtime.unit_of_work() as uow:
            await direct_debit.register_mandate(
                uow,
                dict(
                    addressee_id=f"30000{k}",
                    tax_item="resident_tax",
                    bank_code="0005",
                    branch_code="002",
                    account_number=f"{k:07d}",
                    holder_kana="ヤマダ タロウ",
                    applied_on=D(2026, 4, 1),
                    starts_on=D(2026, 5, 1),
                ),
            )
            await uow.commit()


def _business_date(service, day: dt.date) -> None:
    """The server's business date (OSAME_BUSINESS_DATE); requests never carry one."""
    service.runtime.settings.business_date = day


async def _build(service):
    _business_date(service, D(2026, 6, 10))
    async with service.runtime.unit_of_work() as uow:
        data = await direct_debit.build_request(uow, debit_date=DEBIT, fiscal_year=2026, creditor=CREDITOR)
        await uow.commit()
    _business_date(service, D(2026, 7, 1))  # the bank answers after the 振替日
    return data


def _bank_answers(request: bytes, codes: list[str]) -> bytes:
    parsed = zengin.parse_file(request, "req", result=False, year=2026)
    records = [
        zengin.DebitRecord(**{**r.__dict__, "result_code": c})
        for r, c in zip(parsed.file.records, codes, strict=True)
    ]
    return zengin.build_file(parsed.file.header, records, result=True)


async def _import(service, data, name="result.txt", year=2026):
    async with service.runtime.unit_of_work() as uow:
        report = await direct_debit.import_result(
            uow, data, file=name, creditor_code=CREDITOR.code, year=year
        )
        await uow.commit()
    return report


async def test_request_is_built_from_mandates_and_installments_due(service):
    await _city(service)
    data = await _build(service)
    lines = _lines(data)
    assert len(data) == 6 * 122 and all(len(x) == 120 for x in lines)
    assert [x[:1] for x in lines] == [b"1", b"2", b"2", b"2", b"8", b"9"]
    parsed = zengin.parse_file(data, "req", result=False, year=2026)
    assert [(r.amount, r.new_code, r.holder_kana) for r in parsed.file.records] == [
        (1_000, "1", "ﾔﾏﾀﾞ ﾀﾛｳ"),
        (2_000, "1", "ﾔﾏﾀﾞ ﾀﾛｳ"),
        (3_000, "1", "ﾔﾏﾀﾞ ﾀﾛｳ"),
    ]
    assert (parsed.file.trailer.count, parsed.file.trailer.total) == (3, 6_000)
    assert await _build(service) == data  # building again gives the same file


async def test_past_debit_date_is_refused(service):
    await _city(service, 1)
    _business_date(service, D(2026, 7, 18))
    async with service.runtime.unit_of_work() as uow:
        with pytest.raises(rules.DebitRequestRefused):
            await direct_debit.build_request(uow, debit_date=DEBIT, fiscal_year=2026, creditor=CREDITOR)
    assert await service.count(orm.debit_requests) == 0


async def test_result_import_pays_records_failures_and_stops_mandates(service):
    await _city(service)
    result = _bank_answers(await _build(service), ["0", "1", "3"])
    report = await _import(service, result)
    assert (report.status, report.applied, report.invalid) == ("applied", 1, 0)
    paid = {r["notice_number"]: r["paid"] for r in await service.rows(orm.installments)}
    assert paid == {"DD-1": 1_000, "DD-2": 0, "DD-3": 0}
    [receipt] = await service.rows(orm.receipts)
    assert (receipt["channel"], receipt["paid_on"], receipt["booked_on"]) == ("direct_debit", DEBIT, DEBIT)
    failures = await service.rows(orm.debit_failures, orm.debit_failures.c.notice_number)
    assert [(f["notice_number"], f["result_code"], f["reason"], f["letter_status"]) for f in failures] == [
        ("DD-2", "1", "insufficient_funds", "pending"),
        ("DD-3", "3", "stopped_by_payer", "pending"),
    ]
    mandates = {m["account_number"]: m for m in await service.rows(orm.mandates)}
    assert mandates["0000001"]["first_debit_done"] is True
    assert mandates["0000003"]["stop_reason"] == "result_code_3"
    assert mandates["0000002"]["stopped_on"] is None
    keys = [k for k, _ in await service.events()]
    assert keys.count(receipts.InstallmentsSettled.routing_key) == 1

    again = await _import(service, result, "result-again.txt")
    assert (again.status, again.applied, again.previous_batch_id) == ("already_imported", 0, report.batch_id)
    assert await service.count(orm.receipts) == 1
    assert await service.count(orm.debit_failures) == 2


async def test_trailer_mismatch_applies_nothing(service):
    await _city(service)
    result = _bank_answers(await _build(service), ["0", "0", "0"])
    lines = _lines(result)
    lines[4] = _patch(lines[4], 8, b"000000005999")
    report = await _import(service, _join(lines), "bad.txt")
    assert report.status == "refused"
    assert ("bad.txt", 5, "合計金額") in [(e.file, e.record_no, e.field) for e in report.errors]
    assert await service.count(orm.receipts) == 0
    [batch] = await service.rows(orm.import_batches)
    assert batch["status"] == "refused"
    assert await service.count(orm.import_errors) >= 1


# ---- issue 11: result files that do not answer our request; the same file twice -----------------


async def test_result_file_imported_twice_with_another_year_books_once(any_service):
    """Defect 5: the stored hash was never checked, and `--year 2025` made new channel keys."""
    service = any_service
    await _city(service)
    result = _bank_answers(await _build(service), ["0", "0", "0"])
    first = await _import(service, result, "r.txt")
    assert (first.status, first.applied) == ("applied", 3)
    for year in (2026, 2025, None):
        again = await _import(service, result, "r-again.txt", year=year)
        assert (again.status, again.applied, again.previous_batch_id) == (
            "already_imported",
            0,
            first.batch_id,
        )
    assert sum(r["paid"] for r in await service.rows(orm.installments)) == 6_000
    assert await service.count(orm.receipts) == 3


async def test_result_year_comes_from_the_request_not_the_calendar(service):
    """Without --year the MMDD 引落日 is the latest request date with that MMDD, not this year's."""
    await _city(service, 1)
    result = _bank_answers(await _build(service), ["0"])
    _business_date(service, D(2027, 1, 5))  # answered after new year: "this year" would be 2027
    report = await _import(service, result, year=None)
    assert (report.status, report.applied) == ("applied", 1)
    [receipt] = await service.rows(orm.receipts)
    assert receipt["paid_on"] == DEBIT


def _with_header(result: bytes, pos: int, new: bytes) -> bytes:
    lines = _lines(result)
    return _join([_patch(lines[0], pos, new), *lines[1:]])


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        pytest.param(lambda r: _with_header(r, 5, b"9999999999"), "委託者コード", id="another-creditor"),
        pytest.param(lambda r: _with_header(r, 55, b"0629"), "引落日", id="another-debit-date"),
    ],
)
async def test_result_file_of_another_creditor_or_date_is_held_not_applied(any_service, mutate, field):
    """Defect 6: a file answering no request of ours is held whole: suspense, nothing applied."""
    service = any_service
    await _city(service)
    result = mutate(_bank_answers(await _build(service), ["0", "0", "1"]))
    report = await _import(service, result, "other.txt")
    assert (report.status, report.applied, report.held, report.held_yen) == ("held", 0, 2, 3_000)
    assert report.errors[0].field == field
    assert await service.count(orm.receipts) == 0
    assert await service.count(orm.debit_failures) == 0
    assert sum(r["paid"] for r in await service.rows(orm.installments)) == 0
    held = await service.rows(orm.suspense_items, orm.suspense_items.c.record_no)
    assert [(h["record_no"], h["amount"], h["status"], h["field"]) for h in held] == [
        (2, 1_000, "held", field),
        (3, 2_000, "held", field),
    ]
    [batch] = await service.rows(orm.import_batches)
    assert (batch["status"], batch["held"], batch["held_yen"]) == ("held", 2, 3_000)


async def test_result_records_differing_from_their_request_are_held(any_service):
    """Defect 6: a record whose amount differs from the request (or whose 顧客番号 was never
    requested) is held; the others are applied and the file's totals reconcile."""
    service = any_service
    await _city(service)
    request = await _build(service)
    parsed = zengin.parse_file(request, "req", result=False, year=2026)
    r1, r2, r3 = parsed.file.records
    records = [
        zengin.DebitRecord(**{**r1.__dict__, "result_code": "0"}),
        zengin.DebitRecord(**{**r2.__dict__, "result_code": "0", "amount": 2_500}),
        zengin.DebitRecord(**{**r3.__dict__, "result_code": "0", "customer_number": "00000000000000000099"}),
    ]
    report = await _import(service, zengin.build_file(parsed.file.header, records, result=True))
    assert (report.status, report.applied, report.held, report.held_yen) == ("applied", 1, 2, 5_500)
    paid = {r["notice_number"]: r["paid"] for r in await service.rows(orm.installments)}
    assert paid == {"DD-1": 1_000, "DD-2": 0, "DD-3": 0}
    assert await service.count(orm.overpayments) == 0  # the difference did not become an overpayment
    held = {h["record_no"]: h for h in await service.rows(orm.suspense_items)}
    assert (held[3]["field"], held[3]["notice_number"]) == ("引落金額", "DD-2")
    assert held[4]["field"] == "顧客番号"
    assert 1_000 + report.held_yen == 6_500  # trailer total: applied + held


@pytest.mark.parametrize(
    ("change", "field"),
    [
        pytest.param({"bank_code": "0009"}, "引落銀行番号", id="bank"),
        pytest.param({"branch_code": "003"}, "引落支店番号", id="branch"),
        pytest.param({"account_type": "2"}, "預金種目", id="account-type"),
        pytest.param({"account_number": "0000009"}, "口座番号", id="account-number"),
    ],
)
async def test_result_record_naming_another_account_is_held(any_service, change, field):
    """A result record whose 銀行コード/支店コード/預金種目/口座番号 differs from the request it answers
    (same 顧客番号 and amount) is not applied: its money is held and the error is located; a 不能
    record naming another account records no 不能 (nor stops a mandate)."""
    service = any_service
    await _city(service)
    request = await _build(service)
    parsed = zengin.parse_file(request, "req", result=False, year=2026)
    r1, r2, r3 = parsed.file.records
    records = [
        zengin.DebitRecord(**{**r1.__dict__, "result_code": "0"}),
        zengin.DebitRecord(**{**r2.__dict__, "result_code": "0", **change}),
        zengin.DebitRecord(**{**r3.__dict__, "result_code": "3", **change}),
    ]
    report = await _import(service, zengin.build_file(parsed.file.header, records, result=True))
    assert (report.status, report.applied, report.held, report.held_yen) == ("applied", 1, 1, 2_000)
    assert [(e.record_no, e.field) for e in report.errors] == [(3, field), (4, field)]
    assert all("0000009" not in e.message and "ヤマダ" not in e.message for e in report.errors)
    paid = {r["notice_number"]: r["paid"] for r in await service.rows(orm.installments)}
    assert paid == {"DD-1": 1_000, "DD-2": 0, "DD-3": 0}
    [held] = await service.rows(orm.suspense_items)
    assert (held["record_no"], held["field"], held["amount"]) == (3, field, 2_000)
    assert await service.count(orm.debit_failures) == 0
    assert all(m["stopped_on"] is None for m in await service.rows(orm.mandates))


async def test_paid_record_with_unknown_bank_or_unreadable_amount_is_held(any_service):
    """Defect 10: money on an invalid paid record is held (the amount from the trailer when
    unreadable), the valid records are applied, the file's totals reconcile."""
    service = any_service
    await _city(service)
    result = _bank_answers(await _build(service), ["0", "0", "0"])
    lines = _lines(result)
    lines[1] = _patch(lines[1], 2, b"9999")  # unknown bank code, amount 1,000
    lines[2] = _patch(lines[2], 81, b"00000020X0")  # unreadable amount (2,000)
    report = await _import(service, _join(lines), "bad-records.txt")
    assert (report.status, report.applied, report.invalid, report.held, report.held_yen) == (
        "applied",
        1,
        2,
        2,
        3_000,
    )
    held = {h["record_no"]: (h["field"], h["amount"]) for h in await service.rows(orm.suspense_items)}
    assert held == {2: ("引落銀行番号", 1_000), 3: ("引落金額", 2_000)}
    assert sum(r["paid"] for r in await service.rows(orm.installments)) == 3_000
