"""Disclosure rules: a protected (支援措置) addressee's address never leaves address-sync."""

from __future__ import annotations

import pytest
from osame_address_sync.domain.disclosure import disclosable_address

ADDRESS = "富山県高岡市試験町1番1号"


@pytest.mark.parametrize(
    ("address", "postal_code", "protected", "expected"),
    [
        pytest.param(ADDRESS, "933-0000", False, (ADDRESS, "933-0000"), id="unprotected-disclosed"),
        pytest.param(ADDRESS, "933-0000", True, ("", ""), id="protected-blanked"),
        pytest.param(ADDRESS, "", True, ("", ""), id="protected-no-postal-code"),
        pytest.param("", "", False, ("", ""), id="unprotected-empty"),
    ],
)
def test_disclosable_address(address, postal_code, protected, expected):
    assert disclosable_address(address, postal_code, protected) == expected
