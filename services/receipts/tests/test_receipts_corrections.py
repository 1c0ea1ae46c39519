"""収納訂正: rules (table-driven) and the HTTP flow propose → pending → approve/reject by a second
staff member, with every consequence through the existing events."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from osame_contracts.messages import receipts
from osame_receipts.adapters import orm
from osame_receipts.domain import correction as rules
from osame_receipts.domain.correction import CorrectionKind, CorrectionRefused

from .test_receipts_http import _assess, app, issuer  # noqa: F401 (fixtures)

D = dt.date


# ---- rules --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "matched", "channel", "refused"),
    [
        pytest.param("final", True, "counter", None, id="final-counter"),
        pytest.param("final", True, "convenience_store", None, id="final-cvs"),
        pytest.param("reversed", True, "counter", "only a final receipt", id="reversed"),
        pytest.param("preliminary", True, "convenience_store", "only a final receipt", id="preliminary"),
        pytest.param("final", False, "counter", "unmatched list", id="unmatched"),
        pytest.param("final", True, "appropriation", "refunds", id="appropriation"),
        pytest.param("final", True, "security_instrument", "不渡", id="cheque"),
    ],
)
def test_which_receipts_can_be_corrected(state, matched, channel, refused):
    if refused is None:
        rules.check_receipt(state=state, matched=matched, channel=channel)
    else:
        with pytest.raises(CorrectionRefused, match=refused):
            rules.check_receipt(state=state, matched=matched, channel=channel)


@pytest.mark.parametrize(
    ("kind", "target", "refused"),
    [
        pytest.param(CorrectionKind.REVERSE, None, None, id="reverse"),
        pytest.param(CorrectionKind.REVERSE, ("B", 1), "names no target", id="reverse-with-target"),
        pytest.param(CorrectionKind.MOVE, ("B", 1), None, id="move"),
        pytest.param(CorrectionKind.MOVE, ("A", 2), None, id="move-other-installment"),
        pytest.param(CorrectionKind.MOVE, None, "needs the target", id="move-without-target"),
        pytest.param(CorrectionKind.MOVE, ("A", 1), "already on", id="move-to-itself"),
    ],
)
def test_targets(kind, target, refused):
    if refused is None:
        rules.check_target(kind, ("A", 1), target)
    else:
        with pytest.raises(CorrectionRefused, match=refused):
            rules.check_target(kind, ("A", 1), target)


@pytest.mark.parametrize(
    ("status", "decider", "refused"),
    [
        pytest.param("pending", "supervisor-2", None, id="second-person"),
        pytest.param("pending", "cashier-1", "different staff member", id="proposer"),
        pytest.param("approved", "supervisor-2", "already approved", id="decided"),
        pytest.param("rejected", "supervisor-2", "already rejected", id="rejected"),
    ],
)
def test_a_second_person_decides_once(status, decider, refused):
    if refused is None:
        rules.check_decision(status=status, proposer="cashier-1", decider=decider)
    else:
        with pytest.raises(CorrectionRefused, match=refused):
            rules.check_decision(status=status, proposer="cashier-1", decider=decider)


@pytest.mark.parametrize("reason", ["", "   ", "x" * 201])
def test_a_reason_is_required(reason):
    with pytest.raises(CorrectionRefused, match="reason"):
        rules.check_reason(reason)


# ---- over HTTP ----------------------------------------------------------------------------------


@pytest.fixture
async def staff(app, issuer):  # noqa: F811
    """Two staff members of the 収納 desk: a cashier who proposes, a supervisor who approves."""

    def client(user):
        token = issuer.token(user, ["receipts_staff"])
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://receipts",
            headers={"Authorization": f"Bearer {token}"},
        )

    async with client("cashier-1") as cashier, client("supervisor-2") as supervisor:
        yield cashier, supervisor


async def _pay(api, notice, amount, key="W-1"):
    r = await api.post(
        "/api/counter-payments",
        json={
            "receipt_no": key,
            "notice_number": notice,
            "installment_no": 1,
            "amount": amount,
            "paid_on": "2026-05-20",
        },
    )
    assert r.status_code == 200, r.text
    return r.json()["receipt_id"]


async def _setup(service):
    service.runtime.settings.business_date = D(2026, 5, 22)
    await _assess(service, "1001", 2026, principal=10_000, addressee="700001")
    await _assess(service, "2001", 2026, principal=10_000, plate="高岡 い 2", addressee="700002")


def _paid(rows):
    return {r["notice_number"]: r["paid"] for r in rows}


async def test_a_receipt_keyed_to_the_wrong_notice_is_moved_after_a_second_approval(service, staff):
    cashier, supervisor = staff
    await _setup(service)
    receipt_id = await _pay(cashier, "1001", 10_000)
    before = len(await service.events())

    proposed = await cashier.post(
        "/api/corrections",
        json={
            "receipt_id": receipt_id,
            "kind": "move",
            "notice_number": "2001",
            "installment_no": 1,
            "reason": "窓口で別の納付書番号を入力した",
        },
    )
    assert proposed.status_code == 201, proposed.text
    correction_id = proposed.json()["correction_id"]
    assert _paid(await service.rows(orm.installments)) == {"1001": 10_000, "2001": 0}  # nothing yet
    [item] = (await supervisor.get("/api/corrections")).json()["items"]
    assert (item["correction_id"], item["kind"], item["target_notice_number"]) == (
        correction_id,
        "move",
        "2001",
    )
    again = await cashier.post(
        "/api/corrections", json={"receipt_id": receipt_id, "kind": "reverse", "reason": "二重"}
    )
    assert again.status_code == 409  # one pending correction per receipt

    refused = await cashier.post(f"/api/corrections/{correction_id}/approve")
    assert refused.status_code == 422 and "different staff member" in refused.json()["error"]
    approved = await supervisor.post(f"/api/corrections/{correction_id}/approve")
    assert approved.status_code == 200, approved.text
    new_receipt_id = approved.json()["new_receipt_id"]

    assert _paid(await service.rows(orm.installments)) == {"1001": 0, "2001": 10_000}
    states = {
        r["receipt_id"]: (r["state"], r["notice_number"], r["amount"], r["paid_on"])
        for r in await service.rows(orm.receipts)
    }
    assert states[receipt_id] == ("reversed", "1001", 10_000, D(2026, 5, 20))
    assert states[new_receipt_id] == ("final", "2001", 10_000, D(2026, 5, 20))  # the same 領収日
    events = (await service.events())[before:]
    reversed_ = [b for k, b in events if k == receipts.ReceiptReversed.routing_key]
    assert [(b["receipt_id"], b["reason"], b["applied"]) for b in reversed_] == [
        (receipt_id, "correction", 10_000)
    ]
    recorded = [b for k, b in events if k == receipts.ReceiptRecorded.routing_key]
    assert [(b["receipt_id"], b["notice_number"], b["applied"]) for b in recorded] == [
        (new_receipt_id, "2001", 10_000)
    ]
    reopened = [i for k, b in events if k == receipts.InstallmentsPartlyPaid.routing_key for i in b["items"]]
    assert [(i["notice_number"], i["remaining"]) for i in reopened] == [("1001", 10_000)]
    assert (await supervisor.get("/api/corrections")).json()["items"] == []
    [row] = await service.rows(orm.receipt_corrections)
    assert (row["status"], row["proposed_by"], row["decided_by"]) == ("approved", "cashier-1", "supervisor-2")
    audit = {(e["user_id"], e["operation"], e["outcome"]) for e in await service.rows(orm.audit_log)}
    assert ("cashier-1", "receipts:correction.propose", "ok") in audit
    assert ("supervisor-2", "receipts:correction.approve", "ok") in audit
    # decided once
    assert (await supervisor.post(f"/api/corrections/{correction_id}/approve")).status_code == 409


async def test_moving_a_double_payment_withdraws_its_overpayment(service, staff):
    """The second payment of 1001 was 過誤納; it belonged to 2001: the overpayment is withdrawn for
    refunds (reason correction) and the money pays 2001; money is conserved per taxpayer."""
    cashier, supervisor = staff
    await _setup(service)
    await _pay(cashier, "1001", 10_000, key="W-1")
    second = await _pay(cashier, "1001", 10_000, key="W-2")
    [over] = await service.rows(orm.overpayments)
    assert over["amount"] == 10_000
    before = len(await service.events())
    correction_id = (
        await cashier.post(
            "/api/corrections",
            json={
                "receipt_id": second,
                "kind": "move",
                "notice_number": "2001",
                "installment_no": 1,
                "reason": "宛名誤り",
            },
        )
    ).json()["correction_id"]
    assert (await supervisor.post(f"/api/corrections/{correction_id}/approve")).status_code == 200
    assert _paid(await service.rows(orm.installments)) == {"1001": 10_000, "2001": 10_000}
    [over] = await service.rows(orm.overpayments)
    assert over["withdrawn"] == 10_000
    events = (await service.events())[before:]
    withdrawn = [b for k, b in events if k == receipts.OverpaymentWithdrawn.routing_key]
    assert [(b["amount"], b["reason"]) for b in withdrawn] == [(10_000, "correction")]
    for addressee in ("700001", "700002"):
        money = (await cashier.get(f"/money?addressee_id={addressee}")).json()
        held = sum(
            o["amount"] - o["appropriated"] - o["withdrawn"]
            for o in await service.rows(orm.overpayments)
            if o["addressee_id"] == addressee
        )
        assert money["received"] == money["applied"] + held


async def test_a_wrong_entry_is_reversed_or_the_proposal_rejected(service, staff):
    cashier, supervisor = staff
    await _setup(service)
    keyed_twice = await _pay(cashier, "1001", 4_000, key="W-1")
    reject = (
        await cashier.post(
            "/api/corrections", json={"receipt_id": keyed_twice, "kind": "reverse", "reason": "誤入力"}
        )
    ).json()["correction_id"]
    assert (await cashier.post(f"/api/corrections/{reject}/reject")).status_code == 422  # proposer
    r = await supervisor.post(f"/api/corrections/{reject}/reject", json={"note": "入金あり"})
    assert r.json()["status"] == "rejected"
    assert _paid(await service.rows(orm.installments))["1001"] == 4_000

    reverse = (
        await cashier.post(
            "/api/corrections", json={"receipt_id": keyed_twice, "kind": "reverse", "reason": "誤入力"}
        )
    ).json()["correction_id"]
    assert (await supervisor.post(f"/api/corrections/{reverse}/approve")).json()["new_receipt_id"] is None
    assert _paid(await service.rows(orm.installments))["1001"] == 0
    assert (await cashier.get("/money?addressee_id=700001")).json()["received"] == 0
    bad = await cashier.post(
        "/api/corrections", json={"receipt_id": keyed_twice, "kind": "reverse", "reason": "x"}
    )
    assert bad.status_code == 422 and "only a final receipt" in bad.json()["error"]
    missing = await cashier.post(
        "/api/corrections", json={"receipt_id": keyed_twice, "kind": "move", "reason": "x"}
    )
    assert missing.status_code == 422
