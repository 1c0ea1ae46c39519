"""Adapter to the 情報提供ネットワークシステム (here: the simulator's HTTP API).

A city's real connection (through its 中間サーバー) replaces this class behind the same three
methods. The 個人番号 passed to `obtain_linkage_code` is sent once in the request body and not
kept; nothing here logs bodies.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from osame_gateway.adapters.remote import RemoteCaller
from osame_gateway.adapters.resilience import TransientRemoteError

INCOME_FIELDS = (
    "total_income",
    "salary_revenue",
    "business_income",
    "taxable_income",
    "municipal_income_levy",
)


class NetworkRefused(Exception):
    """The network answered with a refusal (4xx): not transient. `code` is its machine reason."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Certificate:
    """情報提供許可証."""

    certificate_id: str
    provider: str
    expires_at: datetime


@dataclass(frozen=True)
class IncomeAnswer:
    provider: str
    fiscal_year: int
    income: dict | None  # None: the provider holds no data (該当なし)


class InformationNetwork:
    def __init__(self, caller: RemoteCaller, agency_code: str):
        self.caller = caller
        self.agency_code = agency_code

    async def obtain_linkage_code(self, individual_number: str) -> str:
        status, body = await self.caller.post_json(
            "/linkage-codes", {"agency_code": self.agency_code, "individual_number": individual_number}
        )
        if status != 200:
            raise NetworkRefused(str(body.get("error", f"status_{status}")))
        code = body.get("linkage_code")
        if not isinstance(code, str) or not code or len(code) > 64:
            raise TransientRemoteError("malformed_answer")
        return code

    async def certificate(self, linkage_code: str, affair: str, item: str, request_id: str) -> Certificate:
        status, body = await self.caller.post_json(
            "/certificates",
            {
                "agency_code": self.agency_code,
                "linkage_code": linkage_code,
                "affair": affair,
                "item": item,
                "request_id": request_id,
            },
        )
        if status != 200:
            raise NetworkRefused(str(body.get("error", f"status_{status}")))
        try:
            return Certificate(
                certificate_id=str(body["certificate_id"])[:64],
                provider=str(body["provider"])[:80],
                expires_at=datetime.fromisoformat(body["expires_at"]),
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise TransientRemoteError("malformed_answer") from exc

    async def income(
        self, request_id: str, certificate_id: str, linkage_code: str, fiscal_year: int
    ) -> IncomeAnswer:
        """Idempotent per `request_id`: asking again returns the answer already produced."""
        status, body = await self.caller.post_json(
            "/income-queries",
            {
                "request_id": request_id,
                "certificate_id": certificate_id,
                "linkage_code": linkage_code,
                "fiscal_year": fiscal_year,
            },
        )
        if status != 200:
            raise NetworkRefused(str(body.get("error", f"status_{status}")))
        return parse_income_answer(body, request_id)


def parse_income_answer(body: dict, request_id: str) -> IncomeAnswer:
    """Check an answer's shape; anything unexpected is a malformed (transient) answer."""
    try:
        if body["request_id"] != request_id or body["status"] not in ("answered", "no_data"):
            raise ValueError
        income = body["income"]
        if body["status"] == "no_data":
            if income is not None:
                raise ValueError
        else:
            if not isinstance(income, dict):
                raise ValueError
            income = {k: income[k] for k in INCOME_FIELDS}
            if not all(
                isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= 10**13 for v in income.values()
            ):
                raise ValueError
        return IncomeAnswer(
            provider=str(body["provider"])[:80], fiscal_year=int(body["fiscal_year"]), income=income
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise TransientRemoteError("malformed_answer") from exc
