"""Disclosure rules: a protected (支援措置) addressee's address never leaves address-sync."""

from __future__ import annotations

import pytest
from osame_address_sync.domain.disclosure import disclosable_address, is_newer

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


@pytest.mark.parametrize(
    ("incoming", "held", "newer"),
    [
        pytest.param(1, None, True, id="nothing-held"),
        pytest.param(5, 4, True, id="newer"),
        pytest.param(4, 4, False, id="same"),
        pytest.param(3, 4, False, id="older"),
    ],
)
def test_is_newer(incoming, held, newer):
    assert is_newer(incoming, held) is newer
