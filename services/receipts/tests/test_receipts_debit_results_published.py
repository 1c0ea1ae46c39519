"""Issue #12 defect 2 (receipts' part): collection holds the 督促 of an installment whose 口座振替 is
in flight, so receipts tells it which installments a request covers and when the 振替結果 of that
振替日 has been imported — counts only, no account data, no amounts."""

from __future__ import annotations

from osame_contracts.messages import receipts

from .test_receipts_direct_debit import CREDITOR, DEBIT, _bank_answers, _build, _city, _import


async def test_request_and_result_import_are_published(service):
    await _city(service)
    request = await _build(service)
    await _build(service)  # building again for the same 振替日 publishes nothing more
    requested = [p for k, p in await service.events() if k == receipts.DirectDebitRequested.routing_key]
    assert requested == [
        {
            "debit_date": DEBIT.isoformat(),
            "items": [{"notice_number": f"DD-{n}", "installment_no": 1} for n in (1, 2, 3)],
        }
    ]

    report = await _import(service, _bank_answers(request, ["0", "1", "3"]))
    await _import(service, _bank_answers(request, ["0", "1", "3"]), "again.txt")  # a re-import: nothing
    imported = [p for k, p in await service.events() if k == receipts.DirectDebitResultsImported.routing_key]
    assert report.status == "applied"
    assert imported == [{"debit_date": DEBIT.isoformat(), "debited": 1, "failed": 2, "held": 0}]


async def test_a_file_held_as_a_whole_releases_nothing(service):
    await _city(service)
    request = await _build(service)
    other_creditor = _bank_answers(request, ["0", "0", "0"]).replace(CREDITOR.code.encode(), b"9999999999", 1)
    report = await _import(service, other_creditor, "other.txt")
    assert report.status in ("held", "refused")
    keys = [k for k, _ in await service.events()]
    assert receipts.DirectDebitResultsImported.routing_key not in keys
