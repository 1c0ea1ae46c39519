"""個人番号 sealed to address-sync's transport key (issue 13 item 4): it opens only there, only for
the message and 宛名番号 it was sealed for, and a clear number is recognised by its check digit."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from osame_chassis.sealed_number import (
    SEALED_CHARS,
    RecipientKey,
    SealedNumberRefused,
    TransportKeyError,
    TransportKeyring,
    clear_my_number_in,
    generate_keypair,
    seal,
)
from osame_contracts.my_number import SealedMyNumber, is_valid_my_number, my_number_check_digit

RK = "address-sync.resident-change.record.v1"
PRIVATE, PUBLIC = generate_keypair()
RING = TransportKeyring.parse(f"t1:{PRIVATE}")
TO = RecipientKey.parse(f"t1:{PUBLIC}")
numbers = st.from_regex(r"[0-9]{11}", fullmatch=True).map(lambda d: d + str(my_number_check_digit(d)))


@given(numbers, st.from_regex(r"[0-9]{1,15}", fullmatch=True))
def test_a_sealed_number_opens_for_its_message_and_addressee_only(number, addressee_id):
    envelope = seal(number, TO, routing_key=RK, addressee_id=addressee_id)
    SealedMyNumber.model_validate(envelope)  # the contract's shape
    assert len(envelope["sealed"]) == SEALED_CHARS and number not in envelope["sealed"]
    assert RING.open("t1", envelope["sealed"], routing_key=RK, addressee_id=addressee_id) == number
    with pytest.raises(SealedNumberRefused):
        RING.open("t1", envelope["sealed"], routing_key=RK, addressee_id=addressee_id + "0")
    with pytest.raises(SealedNumberRefused):
        RING.open(
            "t1",
            envelope["sealed"],
            routing_key="address-sync.non-resident.upsert.v1",
            addressee_id=addressee_id,
        )


def test_a_tampered_or_foreign_envelope_is_refused_with_a_code():
    envelope = seal("123456789018", TO, routing_key=RK, addressee_id="1")
    flipped = ("A" if envelope["sealed"][50] != "A" else "B").join(
        (envelope["sealed"][:50], envelope["sealed"][51:])
    )
    cases = [
        ("t1", flipped, "my_number_envelope_does_not_open"),
        ("t2", envelope["sealed"], "my_number_unknown_transport_key"),
        ("t1", "abc", "my_number_envelope_malformed"),
    ]
    for key_id, sealed, code in cases:
        with pytest.raises(SealedNumberRefused) as refused:
            RING.open(key_id, sealed, routing_key=RK, addressee_id="1")
        assert refused.value.code == code and "123456789018" not in str(refused.value)
    other = TransportKeyring.parse(f"t1:{generate_keypair()[0]}")
    with pytest.raises(SealedNumberRefused):
        other.open("t1", envelope["sealed"], routing_key=RK, addressee_id="1")


def test_keys_in_rotation_all_open():
    old_private, old_public = generate_keypair()
    ring = TransportKeyring.parse(f"t1:{PRIVATE},t0:{old_private}")
    envelope = seal("123456789018", RecipientKey.parse(f"t0:{old_public}"), routing_key=RK, addressee_id="7")
    assert ring.open("t0", envelope["sealed"], routing_key=RK, addressee_id="7") == "123456789018"
    for bad in ("t1", "t1:xx", f"t1:{PRIVATE},t1:{PRIVATE}", f"bad id:{PRIVATE}"):
        with pytest.raises(TransportKeyError) as err:
            TransportKeyring.parse(bad)
        assert PRIVATE not in str(err.value)


@given(numbers)
def test_a_clear_number_is_recognised_anywhere_in_a_body(number):
    assert is_valid_my_number(number)
    assert clear_my_number_in(f'{{"name":"x","note":"{number}"}}'.encode())
    assert not clear_my_number_in(f'{{"n":"{number}1"}}'.encode())  # part of a longer number
