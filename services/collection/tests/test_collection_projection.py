"""Projection rules: is_newer() and status_for(), table-driven."""

from __future__ import annotations

import pytest
from osame_collection.domain.projection import InstallmentStatus, is_newer, status_for


@pytest.mark.parametrize(
    ("incoming", "held", "newer"),
    [
        pytest.param(1, None, True, id="nothing-held"),
        pytest.param(3, 2, True, id="newer"),
        pytest.param(2, 2, False, id="same"),
        pytest.param(1, 2, False, id="older"),
    ],
)
def test_is_newer(incoming, held, newer):
    assert is_newer(incoming, held) is newer


@pytest.mark.parametrize(
    ("principal_tax", "paid", "status"),
    [
        pytest.param(10_000, 0, InstallmentStatus.OPEN, id="unpaid"),
        pytest.param(10_000, 9_999, InstallmentStatus.OPEN, id="partly-paid"),
        pytest.param(10_000, 10_000, InstallmentStatus.PAID, id="paid"),
        pytest.param(10_000, 12_000, InstallmentStatus.PAID, id="overpaid"),
        pytest.param(0, 0, InstallmentStatus.PAID, id="zero-principal"),
    ],
)
def test_status_for(principal_tax, paid, status):
    assert status_for(principal_tax, paid) is status
