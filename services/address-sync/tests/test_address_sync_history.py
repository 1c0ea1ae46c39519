"""住基 異動 history fold: sequence order, duplicates, conflicts, 取消 (pure domain)."""

from __future__ import annotations

import datetime as dt

import pytest
from osame_address_sync.domain.resident_history import ChangeRecord, Status, Verdict, fold, judge
from osame_contracts.messages.address_sync import ChangeKind as K

D = dt.date(2026, 4, 1)
HOME = {"printed": "高岡市試験町1番1号", "postal_code": "933-0001"}
NEW = {"printed": "高岡市新町2番2号", "postal_code": "933-0002"}
NEWER = {"printed": "高岡市末広町3番3号", "postal_code": "933-0003"}


def rec(cid, seq, kind, cancels=None, number=False, on=D, **fields):
    return ChangeRecord(cid, seq, kind, on, None, cancels, fields, number)


ENTRY = rec("c1", 1, K.MOVED_IN, name="試験 一郎", address=HOME)


@pytest.mark.parametrize(
    ("history", "expected_address", "expected_status"),
    [
        pytest.param([ENTRY], HOME, Status.RESIDENT, id="entry"),
        pytest.param(
            [ENTRY, rec("c2", 2, K.MOVED_WITHIN, address=NEW)], NEW, Status.RESIDENT, id="move-within"
        ),
        pytest.param(
            [ENTRY, rec("c3", 3, K.MOVED_WITHIN, address=NEWER), rec("c2", 2, K.MOVED_WITHIN, address=NEW)],
            NEWER,
            Status.RESIDENT,
            id="older-arriving-late-does-not-overwrite",
        ),
        pytest.param(
            [ENTRY, rec("c2", 2, K.MOVED_WITHIN, address=NEW), rec("x", 3, K.CANCELLATION, cancels="c2")],
            HOME,
            Status.RESIDENT,
            id="cancel-reverts-the-move",
        ),
        pytest.param(
            [
                ENTRY,
                rec("c2", 2, K.MOVED_WITHIN, address=NEW),
                rec("c3", 3, K.MOVED_WITHIN, address=NEWER),
                rec("x", 4, K.CANCELLATION, cancels="c2"),
            ],
            NEWER,
            Status.RESIDENT,
            id="cancel-of-an-overridden-move-changes-nothing",
        ),
        pytest.param(
            [
                ENTRY,
                rec("c2", 2, K.MOVED_WITHIN, address=NEW),
                rec("c3", 3, K.MOVED_WITHIN, address=NEWER),
                rec("x", 4, K.CANCELLATION, cancels="c3"),
            ],
            NEW,
            Status.RESIDENT,
            id="cancel-of-the-latest-move-restores-the-one-before",
        ),
        pytest.param(
            [rec("x", 3, K.CANCELLATION, cancels="c2"), ENTRY, rec("c2", 2, K.MOVED_WITHIN, address=NEW)],
            HOME,
            Status.RESIDENT,
            id="cancellation-arriving-before-its-change",
        ),
        pytest.param(
            [ENTRY, rec("c2", 2, K.MOVED_OUT, destination={"printed": "東京都千代田区1-1"})],
            HOME,
            Status.MOVED_OUT,
            id="moved-out-keeps-last-address",
        ),
        pytest.param([ENTRY, rec("c2", 2, K.DEATH)], HOME, Status.DECEASED, id="death"),
        pytest.param(
            [ENTRY, rec("c2", 2, K.DEATH), rec("x", 3, K.CANCELLATION, cancels="c2")],
            HOME,
            Status.RESIDENT,
            id="cancelled-death",
        ),
    ],
)
def test_fold(history, expected_address, expected_status):
    state = fold(history)
    assert (state.address, state.status) == (expected_address, expected_status)


def test_death_and_move_out_dates():
    died = dt.date(2026, 6, 3)
    state = fold([ENTRY, rec("c2", 2, K.DEATH, on=died)])
    assert state.deceased_on == died
    state = fold([ENTRY, rec("c2", 2, K.MOVED_OUT, on=died, destination={"printed": "札幌市"})])
    assert (state.moved_out_on, state.destination) == (died, {"printed": "札幌市"})
    back = fold([ENTRY, rec("c2", 2, K.MOVED_OUT, on=died), rec("c3", 3, K.MOVED_IN, address=NEW)])
    assert (back.status, back.moved_out_on, back.destination, back.address) == (
        Status.RESIDENT,
        None,
        None,
        NEW,
    )


def test_name_change_and_cancellation_of_a_my_number_change():
    h = [
        rec("c1", 1, K.MOVED_IN, number=True, name="試験 一郎", address=HOME),
        rec("c2", 2, K.NAME_CHANGED, name="試験 一朗"),
        rec("c3", 3, K.MY_NUMBER_CHANGED, number=True),
    ]
    state = fold(h)
    assert (state.name, state.my_number_change_id) == ("試験 一朗", "c3")
    assert fold([*h, rec("x", 4, K.CANCELLATION, cancels="c3")]).my_number_change_id == "c1"
    assert fold([*h, rec("y", 4, K.CANCELLATION, cancels="c2")]).name == "試験 一郎"


@pytest.mark.parametrize(
    ("incoming", "verdict"),
    [
        pytest.param(ENTRY, Verdict.DUPLICATE, id="same-change-again"),
        pytest.param(
            rec("c1", 1, K.MOVED_IN, name="別人", address=HOME), Verdict.CONFLICT, id="same-id-other-content"
        ),
        pytest.param(rec("c9", 1, K.MOVED_WITHIN, address=NEW), Verdict.CONFLICT, id="sequence-taken"),
        pytest.param(rec("c2", 2, K.MOVED_WITHIN, address=NEW), Verdict.ACCEPT, id="next"),
        pytest.param(
            rec("y", 5, K.CANCELLATION, cancels="x"), Verdict.CANCELS_A_CANCELLATION, id="cancel-of-cancel"
        ),
    ],
)
def test_judge(incoming, verdict):
    history = [ENTRY, rec("x", 4, K.CANCELLATION, cancels="c1")]
    assert judge(incoming, history) is verdict


def test_judge_cancellation_already_cancelled_by_an_earlier_arrival():
    history = [ENTRY, rec("y", 5, K.CANCELLATION, cancels="x")]
    assert judge(rec("x", 4, K.CANCELLATION, cancels="c1"), history) is Verdict.CANCELS_A_CANCELLATION
