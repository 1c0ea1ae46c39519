"""情報照会 permission: refusal_reason() against the permitted-query list, table-driven."""

from __future__ import annotations

import pytest
from osame_contracts.messages.collection import InformationItem
from osame_gateway.domain.permission import NOT_PERMITTED, refusal_reason

AFFAIR = "local_tax_assessment_collection"
LISTED = [(AFFAIR, "income"), ("other_affair", "pension")]


@pytest.mark.parametrize(
    ("affair", "item", "permitted", "reason"),
    [
        pytest.param(AFFAIR, "income", [], NOT_PERMITTED, id="empty-list"),
        pytest.param(AFFAIR, "income", LISTED, None, id="listed"),
        pytest.param(AFFAIR, InformationItem.INCOME, LISTED, None, id="listed-enum-item"),
        pytest.param(AFFAIR, "pension", LISTED, NOT_PERMITTED, id="unlisted-item"),
        pytest.param("other_affair", "income", LISTED, NOT_PERMITTED, id="unlisted-affair"),
        pytest.param(AFFAIR, "income", iter(LISTED), None, id="listed-any-iterable"),
    ],
)
def test_refusal_reason(affair, item, permitted, reason):
    assert refusal_reason(affair, item, permitted) == reason
