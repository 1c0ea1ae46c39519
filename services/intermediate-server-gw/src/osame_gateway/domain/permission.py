"""情報照会 permission: only queries on the permitted-query list (照会許可用照合リスト) may proceed.

The list is data (rows of 事務 × item with their legal basis, e.g. 主務省令 第2条 表48 for
地方税の賦課徴収). The gateway starts with an empty list, so everything is refused.
"""

from __future__ import annotations

from collections.abc import Iterable

NOT_PERMITTED = "not_on_permitted_query_list"
LINKAGE_UNAVAILABLE = "linkage_not_configured"


def refusal_reason(affair: str, item: str, permitted: Iterable[tuple[str, str]]) -> str | None:
    """None when (affair, item) is permitted; otherwise the machine reason for refusal."""
    if (affair, item) not in set(permitted):
        return NOT_PERMITTED
    return None
