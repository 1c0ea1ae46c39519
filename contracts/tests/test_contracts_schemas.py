"""The committed JSON Schemas must match the models; routing keys must follow the naming rule."""

import datetime as dt

import pytest
from osame_contracts.base import ROUTING_KEY_PATTERN
from osame_contracts.messages.receipts import RecordReceipt
from osame_contracts.registry import REGISTRY, UnknownMessageType, model_for
from osame_contracts.schemas import SCHEMA_DIR, render_all
from pydantic import ValidationError


def test_committed_schemas_match_models():
    rendered = render_all()
    committed = {p.name: p.read_text(encoding="utf-8") for p in SCHEMA_DIR.glob("*.json")}
    drifted = sorted(n for n in rendered if committed.get(n) != rendered[n])
    stale = sorted(set(committed) - set(rendered))
    assert not drifted and not stale, (
        f"schemas drifted {drifted} / stale {stale}: run `uv run python -m osame_contracts.schemas` and commit"
    )


@pytest.mark.parametrize("key", sorted(REGISTRY))
def test_routing_keys_are_versioned_and_owned(key):
    assert ROUTING_KEY_PATTERN.match(key)
    model = REGISTRY[key]
    assert model.message_type() == key


def test_unknown_routing_key_is_a_clear_error():
    with pytest.raises(UnknownMessageType):
        model_for("receipts.nothing.happened.v1")


def test_validation_errors_do_not_echo_input():
    secret = "123456789018"
    with pytest.raises(ValidationError) as err:
        RecordReceipt(
            channel="counter",
            channel_key=secret + " name",
            notice_number="N1",
            installment_no=1,
            amount=100,
            paid_on=dt.date(2026, 5, 1),
            booked_on=dt.date(2026, 5, 1),
        )
    assert secret not in str(err.value)


def test_money_is_integer_yen():
    with pytest.raises(ValidationError):
        RecordReceipt(
            channel="counter",
            channel_key="k1",
            notice_number="N1",
            installment_no=1,
            amount=100.5,
            paid_on=dt.date(2026, 5, 1),
            booked_on=dt.date(2026, 5, 1),
        )


def test_committed_field_reference_matches_models():
    from osame_contracts.reference import DOC_PATH, render

    assert DOC_PATH.read_text(encoding="utf-8") == render(), "run `uv run osame contracts schemas` and commit"
