"""Simulator of the 情報提供ネットワークシステム: 符号, 許可証, income answers, idempotency, faults."""

from __future__ import annotations

import httpx
import pytest
from osame_simulator.app import SimulatorSettings, build_app
from osame_simulator.linkage import is_valid_my_number, my_number_check_digit

NUMBER = "123456789018"  # check digit 8 (interfaces.md §11 example)
OTHER = "987654321093"


def client(**settings) -> httpx.AsyncClient:
    app = build_app(SimulatorSettings(**settings))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://sim")


@pytest.mark.parametrize(
    ("first_eleven", "digit"), [("12345678901", 8), ("98765432109", 3), ("00000000000", 0)]
)
def test_check_digit(first_eleven, digit):
    assert my_number_check_digit(first_eleven) == digit
    assert is_valid_my_number(first_eleven + str(digit))
    assert not is_valid_my_number(first_eleven + str((digit + 1) % 10))


async def code(c, number=NUMBER, agency="162027"):
    r = await c.post("/linkage-codes", json={"agency_code": agency, "individual_number": number})
    return r


async def test_linkage_code_is_stable_per_agency_and_not_the_number():
    async with client() as c:
        first = (await code(c)).json()["linkage_code"]
        assert (await code(c)).json()["linkage_code"] == first
        assert (await code(c, agency="999999")).json()["linkage_code"] != first
        assert (await code(c, OTHER)).json()["linkage_code"] != first
        assert NUMBER not in first
    async with client(secret="another-secret") as c:  # not derivable without the secret
        assert (await code(c)).json()["linkage_code"] != first


async def test_invalid_number_refused_without_echo():
    async with client() as c:
        r = await code(c, "123456789010")
        assert (r.status_code, r.json()) == (400, {"error": "invalid_individual_number"})


async def full_query(c, request_id="r-1", year=2025, **headers):
    lc = (await code(c)).json()["linkage_code"]
    cert = await c.post(
        "/certificates",
        json={
            "agency_code": "162027",
            "linkage_code": lc,
            "affair": "local_tax_assessment_collection",
            "item": "income",
            "request_id": request_id,
        },
    )
    assert cert.status_code == 200, cert.text
    body = {
        "request_id": request_id,
        "certificate_id": cert.json()["certificate_id"],
        "linkage_code": lc,
        "fiscal_year": year,
    }
    return await c.post("/income-queries", json=body, headers=headers), body


async def test_seeded_income_answer_and_idempotent_repeat():
    async with client(synthetic_income=False) as c:
        figures = {
            "total_income": 2_450_000,
            "salary_revenue": 3_500_000,
            "business_income": 0,
            "taxable_income": 1_800_000,
            "municipal_income_levy": 108_000,
        }
        assert (
            await c.post("/admin/seed", json=[{"individual_number": NUMBER, "fiscal_year": 2025, **figures}])
        ).json() == {"seeded": 1}
        r, body = await full_query(c)
        assert r.json()["status"] == "answered" and r.json()["income"] == figures
        again = await c.post("/income-queries", json=body)
        assert again.json() == r.json()
        assert (await c.get("/income-queries/r-1")).json() == r.json()
        stats = (await c.get("/admin/stats")).json()
        assert (stats["income answers produced"], stats["income queries repeated"]) == (1, 1)
        no_data, _ = await full_query(c, request_id="r-2", year=2019)
        assert (no_data.json()["status"], no_data.json()["income"]) == ("no_data", None)


async def test_unlisted_query_gets_no_certificate():
    async with client() as c:
        await c.put("/admin/permitted", json=[{"affair": "other", "item": "income", "provider": "x"}])
        lc = (await code(c)).json()["linkage_code"]
        r = await c.post(
            "/certificates",
            json={
                "agency_code": "1",
                "linkage_code": lc,
                "affair": "local_tax_assessment_collection",
                "item": "income",
                "request_id": "r",
            },
        )
        assert (r.status_code, r.json()) == (403, {"error": "not_permitted"})


async def test_expired_certificate_refused():
    async with client(certificate_ttl_seconds=1) as c:
        import asyncio

        lc = (await code(c)).json()["linkage_code"]
        cert = (
            await c.post(
                "/certificates",
                json={
                    "agency_code": "1",
                    "linkage_code": lc,
                    "affair": "local_tax_assessment_collection",
                    "item": "income",
                    "request_id": "r",
                },
            )
        ).json()
        await asyncio.sleep(1.1)
        r = await c.post(
            "/income-queries",
            json={
                "request_id": "r",
                "certificate_id": cert["certificate_id"],
                "linkage_code": lc,
                "fiscal_year": 2025,
            },
        )
        assert (r.status_code, r.json()) == (403, {"error": "certificate_expired"})


@pytest.mark.parametrize(
    ("fault", "status", "check"),
    [
        ("error=503", 503, lambda r: r.json() == {"error": "simulated_failure"}),
        ("error=500", 500, lambda r: True),
        ("malformed", 200, lambda r: r.text.startswith('{"status": "answ')),
        ("no-data", 200, lambda r: r.json()["status"] == "no_data"),
        ("latency=50", 200, lambda r: r.json()["status"] == "answered"),
    ],
)
async def test_faults_by_header(fault, status, check):
    async with client() as c:
        r, _ = await full_query(c, **{"X-Sim-Fault": fault})
        assert r.status_code == status
        assert check(r)


async def test_queued_faults_apply_to_the_next_requests_only():
    async with client() as c:
        await c.post("/admin/faults", json={"fault": "error=503", "count": 2, "path": "/linkage-codes"})
        assert [(await code(c)).status_code for _ in range(3)] == [503, 503, 200]


async def test_timeout_fault_still_produces_the_answer():
    async with client(timeout_seconds=0.2) as c:
        r, body = await full_query(c, **{"X-Sim-Fault": "timeout"})
        late = await c.get(f"/income-queries/{body['request_id']}")
        assert late.json() == r.json()
        assert (await c.get("/admin/stats")).json()["faults timeout"] == 1
