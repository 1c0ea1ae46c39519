"""情報照会 permission: only queries on the permitted-query list (照会許可用照合リスト) may proceed.

The list is data (rows of 事務 × item with their legal basis, e.g. 主務省令 第2条 表48 for
地方税の賦課徴収), loaded by `osame-gateway load-permitted` (`domain/permitted_list.py` checks
the file). A gateway with an empty list refuses everything.
"""

from __future__ import annotations

from collections.abc import Iterable

# Refusal reasons (machine codes; IncomeQueryRefused.reason and 情報提供等記録). Never personal data.
NOT_PERMITTED = "not_on_permitted_query_list"  # our own list does not have (事務, item)
LINKAGE_UNAVAILABLE = "linkage_not_configured"  # no network connection is configured
NOT_PERMITTED_BY_NETWORK = "not_permitted_by_network"  # the network refused the 情報提供許可証
UNKNOWN_ADDRESSEE = "unknown_addressee"  # address-sync does not know the 宛名番号
NO_INDIVIDUAL_NUMBER = "no_individual_number"  # address-sync holds no 個人番号 for it
INVALID_INDIVIDUAL_NUMBER = "invalid_individual_number"  # the network rejected the number
NETWORK_UNREACHABLE = "linkage_unavailable"  # transient failures lasted past the query deadline


def refusal_reason(affair: str, item: str, permitted: Iterable[tuple[str, str]]) -> str | None:
    """None when (affair, item) is permitted; otherwise the machine reason for refusal."""
    if (affair, item) not in set(permitted):
        return NOT_PERMITTED
    return None
