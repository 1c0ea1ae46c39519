"""Adapter to address-sync's restricted 個人番号 lookup (for 符号 acquisition only).

Contract the gateway needs from address-sync (authenticated with the gateway's service token,
audited on address-sync's side):

    POST {address_sync_url}/internal/individual-number
    Authorization: Bearer <token with permission address-sync:individual-number.read>
    {"addressee_id": "100009", "purpose": "linkage_code_acquisition", "query_id": "<id>"}
    → 200 {"addressee_id": "100009", "individual_number": "123456789018"}
    → 404 {"error": "unknown_addressee"} | 404 {"error": "no_individual_number"}
    → 401/403 {"error": ...} | 409 {"error": "no_pending_query"} | 429 {"error": "rate_limited"}

The number is returned to the caller only; it is never stored, logged or put in a span here.
"""

from __future__ import annotations

from osame_gateway.adapters.network import NetworkRefused
from osame_gateway.adapters.remote import RemoteCaller
from osame_gateway.adapters.resilience import TransientRemoteError

PATH = "/internal/individual-number"


class IndividualNumberSource:
    def __init__(self, caller: RemoteCaller):
        self.caller = caller

    async def individual_number(self, addressee_id: str, query_id: str) -> str:
        status, body = await self.caller.post_json(
            PATH, {"addressee_id": addressee_id, "purpose": "linkage_code_acquisition", "query_id": query_id}
        )
        if status in (401, 403, 409, 429):
            # 401/403: our credentials or permission are wrong (an operator must fix it); 409: address-sync
            # has not yet noted the income query from the bus; 429: rate limited. Keep the query pending
            # (its deadline still applies).
            raise TransientRemoteError(f"address_sync_{status}")
        if status != 200:
            raise NetworkRefused(str(body.get("error", f"status_{status}")))
        number = body.get("individual_number")
        if body.get("addressee_id") != addressee_id or not isinstance(number, str):
            raise TransientRemoteError("malformed_answer")
        return number
