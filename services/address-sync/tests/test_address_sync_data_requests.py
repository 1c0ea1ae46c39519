"""訂正請求 / 利用停止請求 register (個人情報保護法 §90, §98; issue 13): rules from the law, and the
register over the authenticated API (who acts is the token's subject, dates the business date)."""

from __future__ import annotations

import datetime as dt

import pytest
from osame_address_sync.adapters import orm
from osame_address_sync.domain.data_requests import (
    Ground,
    Kind,
    RequestRefused,
    Status,
    Target,
    check_apply,
    check_new,
    decide,
    due_on,
)
from osame_address_sync.entrypoints.http import routes
from osame_chassis.auth import DevIssuer
from osame_chassis.testing_data_rights import data_rights_client, disclosure_of

D = dt.date


@pytest.mark.parametrize(
    ("received", "extended", "due"),
    [
        (D(2026, 4, 1), False, D(2026, 5, 1)),  # §94① / §102①: 30 days
        (D(2026, 4, 1), True, D(2026, 5, 31)),  # §94② / §102②: extended by 30
    ],
)
def test_decision_due_dates(received, extended, due):
    assert due_on(received, extended) == due


@pytest.mark.parametrize(
    ("kind", "received", "disclosed", "code"),
    [
        (Kind.CORRECTION, D(2026, 7, 1), D(2026, 4, 2), None),  # day 90: in time (§90③)
        (Kind.CORRECTION, D(2026, 7, 1), D(2026, 4, 1), "correction_window_passed"),  # day 91
        (Kind.SUSPENSION, D(2026, 7, 1), D(2026, 1, 1), None),  # no such window for 利用停止
        (Kind.CORRECTION, D(2026, 7, 1), D(2026, 7, 2), "disclosed_in_future"),
        (Kind.CORRECTION, D(2026, 7, 1), None, None),
    ],
)
def test_new_request_windows(kind, received, disclosed, code):
    if code is None:
        check_new(kind, received, disclosed)
    else:
        with pytest.raises(RequestRefused) as err:
            check_new(kind, received, disclosed)
        assert err.value.code == code


@pytest.mark.parametrize(
    ("kind", "target", "accept", "ground", "outcome"),
    [
        (Kind.CORRECTION, Target.MAILING_ADDRESS, True, None, Status.ACCEPTED),  # §92
        (Kind.CORRECTION, Target.NON_RESIDENT_RECORD, True, None, Status.ACCEPTED),
        (Kind.CORRECTION, Target.RESIDENT_RECORD, True, None, "own_procedure"),  # §90① ただし書 / 住基法 §14
        (Kind.CORRECTION, Target.ASSESSMENT, True, None, "own_procedure"),  # 地方税法 §19
        (Kind.CORRECTION, Target.ASSESSMENT, False, None, Status.REFUSED),
        (Kind.SUSPENSION, Target.CASE_RECORD, True, Ground.BEYOND_PURPOSE, Status.ACCEPTED),  # §98①, §100
        (Kind.SUSPENSION, Target.CASE_RECORD, True, None, "no_ground"),  # §98①: a listed ground only
    ],
)
def test_decisions_follow_the_law(kind, target, accept, ground, outcome):
    if isinstance(outcome, Status):
        assert decide(kind, target, Status.RECEIVED, accept, ground).status is outcome
    else:
        with pytest.raises(RequestRefused) as err:
            decide(kind, target, Status.RECEIVED, accept, ground)
        assert err.value.code == outcome
        assert "§90" in err.value.basis or "§98" in err.value.basis


def test_only_a_received_request_is_decided_and_only_an_accepted_one_applied():
    with pytest.raises(RequestRefused):
        decide(Kind.CORRECTION, Target.MAILING_ADDRESS, Status.REFUSED, True, None)
    for status in (Status.RECEIVED, Status.REFUSED, Status.APPLIED):
        with pytest.raises(RequestRefused):
            check_apply(status)
    check_apply(Status.ACCEPTED)


async def test_register_decide_apply_over_the_api(service, tmp_path):
    hook = orm.AUDIT.hook(service.runtime.sessions)
    async with data_rights_client(service.runtime, routes, hook, DevIssuer(tmp_path / "iss")) as (
        http,
        as_role,
    ):
        officer = as_role("officer-1", "disclosure_officer")
        ask = {
            "addressee_id": "100009",
            "kind": "correction",
            "target": "mailing_address",
            "detail": "送付先の誤り",
        }
        made = await http.post("/data-requests", json=ask, headers=officer)
        assert made.status_code == 201
        request = made.json()
        today = service.runtime.settings.today()
        assert (request["status"], request["registered_by"], request["received_on"]) == (
            "received",
            "officer-1",
            today.isoformat(),
        )
        assert request["due_on"] == (today + dt.timedelta(days=30)).isoformat()
        rid = request["request_id"]
        early = await http.post(f"/data-requests/{rid}/applied", json={"note": "x"}, headers=officer)
        assert (early.status_code, early.json()["error"]) == (409, "not_accepted")
        decided = await http.post(f"/data-requests/{rid}/decision", json={"accept": True}, headers=officer)
        assert (decided.json()["status"], decided.json()["decided_by"]) == ("accepted", "officer-1")
        done = await http.post(
            f"/data-requests/{rid}/applied", json={"note": "送付先を訂正"}, headers=officer
        )
        assert (done.json()["status"], done.json()["applied_by"]) == ("applied", "officer-1")

        resident = {**ask, "target": "resident_record"}
        rid2 = (await http.post("/data-requests", json=resident, headers=officer)).json()["request_id"]
        law = await http.post(f"/data-requests/{rid2}/decision", json={"accept": True}, headers=officer)
        assert (law.status_code, law.json()["error"]) == (409, "own_procedure")
        assert "住民基本台帳法" in law.json()["basis"]

        clerk = as_role("clerk-1", "collection_staff")
        assert (await http.post("/data-requests", json=ask, headers=clerk)).status_code == 403
        listed = await http.get("/addressees/100009/data-requests", headers=officer)
        assert [r["status"] for r in listed.json()["requests"]] == ["applied", "received"]
        assert (await http.get("/addressees/100010/data-requests", headers=officer)).json() == {
            "requests": []
        }
        section = await disclosure_of(http, as_role, "100009")  # the register is part of the 開示
        assert len(section["records"]["data_requests"]["rows"]) == 2
    trail = [(r["user_id"], r["operation"], r["addressee_id"]) for r in await service.rows(orm.audit_log)]
    assert ("officer-1", "data-request.register", "100009") in trail
    assert ("clerk-1", "data-request.register", None) in trail
