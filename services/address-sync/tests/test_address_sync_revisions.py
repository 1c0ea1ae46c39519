"""Revision bounds (issue 13 item 2) and 支援措置 in force on a date (item 3): pure rules."""

from __future__ import annotations

import datetime as dt

import pytest
from osame_address_sync.domain.protection import ProtectionDecision, next_change_on, protected_on
from osame_address_sync.domain.revisions import BUS, OWNER_ASSIGNED, RevisionVerdict

APPLY, STALE, OUT = RevisionVerdict.APPLY, RevisionVerdict.STALE, RevisionVerdict.OUT_OF_WINDOW


@pytest.mark.parametrize(
    ("policy", "incoming", "held", "verdict"),
    [
        pytest.param(BUS, 1, None, APPLY, id="bus-first"),
        pytest.param(BUS, 57, None, APPLY, id="bus-first-not-one"),
        pytest.param(BUS, 5, 4, APPLY, id="bus-next"),
        pytest.param(BUS, 104, 4, APPLY, id="bus-window-edge"),
        pytest.param(BUS, 105, 4, OUT, id="bus-past-window"),
        pytest.param(BUS, 2147483647, None, OUT, id="bus-pin-first"),
        pytest.param(BUS, 2147483647, 3, OUT, id="bus-pin"),
        pytest.param(BUS, 4, 4, STALE, id="bus-same"),
        pytest.param(BUS, 3, 4, STALE, id="bus-older"),
        pytest.param(OWNER_ASSIGNED, 1, None, APPLY, id="http-first"),
        pytest.param(OWNER_ASSIGNED, 2, None, OUT, id="http-first-skips"),
        pytest.param(OWNER_ASSIGNED, 5, 4, APPLY, id="http-next"),
        pytest.param(OWNER_ASSIGNED, 6, 4, OUT, id="http-skips"),
        pytest.param(OWNER_ASSIGNED, 4, 4, STALE, id="http-same"),
    ],
)
def test_revision_verdict(policy, incoming, held, verdict):
    assert policy.judge(incoming, held) is verdict


D = dt.date
START = ProtectionDecision(1, True, D(2026, 7, 1))
END = ProtectionDecision(2, False, D(2026, 12, 31))
RENEWED = ProtectionDecision(3, True, D(2026, 7, 1))


@pytest.mark.parametrize(
    ("decisions", "on", "fallback", "protected"),
    [
        pytest.param([], D(2026, 8, 1), False, False, id="none-fallback"),
        pytest.param([START], D(2026, 6, 30), False, False, id="start-not-yet"),
        pytest.param([START], D(2026, 7, 1), False, True, id="start-on-its-date"),
        pytest.param([START, END], D(2026, 12, 30), False, True, id="end-not-yet"),
        pytest.param([START, END], D(2026, 12, 31), False, False, id="end-on-its-date"),
        pytest.param([START, END, RENEWED], D(2027, 1, 5), False, True, id="later-revision-overrides-end"),
        pytest.param([END], D(2026, 8, 1), True, True, id="end-not-yet-keeps-fallback"),
    ],
)
def test_protected_on(decisions, on, fallback, protected):
    assert protected_on(decisions, on, fallback) is protected


def test_next_change_on():
    assert next_change_on([START, END], D(2026, 8, 1)) == D(2026, 12, 31)
    assert next_change_on([START, END], D(2026, 12, 31)) is None
