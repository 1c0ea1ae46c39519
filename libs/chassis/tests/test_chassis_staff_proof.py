"""Staff proofs (issue 13 item 1): a staff id on the bus is believed only when the publishing
principal signed it over exactly that message. One case per way a proof can be wrong."""

from __future__ import annotations

import datetime as dt
import time

import jwt
import pytest
from osame_chassis.messaging.staff_proof import (
    ALGORITHM,
    TOKEN_TYPE,
    StaffProofError,
    StaffProofMissingKey,
    StaffProofSigner,
    StaffProofVerifier,
    digest,
    generate_key,
    key_id,
    sign_staged,
)
from osame_contracts.messages import address_sync, collection, receipts

COLLECTION_KEY = generate_key()
ATENA_KEY = generate_key()
VERIFIER = StaffProofVerifier({"collection": [COLLECTION_KEY[1]], "atena": [ATENA_KEY[1]]}, 86_400)
SIGNER = StaffProofSigner("collection", COLLECTION_KEY[0])


def request(query_id: str = "q-1", staff_user: str = "staff-01") -> collection.IncomeQueryRequested:
    return collection.IncomeQueryRequested(
        query_id=query_id,
        addressee_id="100003",
        affair="local_tax_assessment_collection",
        item=collection.InformationItem.INCOME,
        fiscal_year=2025,
        purpose="財産調査",
        staff_user=staff_user,
        requested_on=dt.date(2026, 7, 1),
    )


def merge() -> address_sync.MergeAddressees:
    return address_sync.MergeAddressees(
        surviving_addressee_id="100001",
        merged_addressee_id="100002",
        decided_by="staff-02",
        decided_on=dt.date(2026, 7, 1),
    )


def raw_token(claims: dict, private_pem: str = COLLECTION_KEY[0], **header) -> str:
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    headers = {"kid": key_id(key.public_key()), "typ": TOKEN_TYPE, **header}
    return jwt.encode(claims, key, algorithm=ALGORITHM, headers=headers)


def claims_for(message, **override) -> dict:
    now = int(time.time())
    return {
        "iss": "collection",
        "sub": message.staff_user,
        "act": message.routing_key,
        "dig": digest(message),
        "iat": now,
        "exp": now + 600,
        **override,
    }


def test_a_signed_staff_action_proves_its_staff_id():
    assert VERIFIER.verify(SIGNER.sign(request()), "collection") == "staff-01"
    signed_merge = StaffProofSigner("atena", ATENA_KEY[0]).sign(merge())
    assert VERIFIER.verify(signed_merge, "atena") == "staff-02"


def _tampered():
    signed = SIGNER.sign(request())
    now = time.time()
    return {
        "missing": request(),
        "malformed": request().model_copy(update={"staff_proof": "a.b.c"}),
        "unknown_key": StaffProofSigner("collection", generate_key()[0]).sign(request()),
        "bad_signature": request().model_copy(
            update={
                "staff_proof": signed.staff_proof[:-4]
                + ("AAAA" if not signed.staff_proof.endswith("AAAA") else "BBBB")
            }
        ),
        "expired": StaffProofSigner("collection", COLLECTION_KEY[0], ttl_seconds=3600).sign(
            request(), now=now - 7200
        ),
        "not_yet_valid": SIGNER.sign(request(), now=now + 3600),
        "lifetime_too_long": StaffProofSigner("collection", COLLECTION_KEY[0], ttl_seconds=7 * 86_400).sign(
            request()
        ),
        # The proof of one query moved onto another, or onto another staff member's name.
        "digest_mismatch": request("q-2").model_copy(update={"staff_proof": signed.staff_proof}),
        "renamed": signed.model_copy(update={"staff_user": "nobody"}),
        "wrong_action": request().model_copy(
            update={
                "staff_proof": raw_token(claims_for(request(), act=address_sync.MergeAddressees.routing_key))
            }
        ),
        "subject_mismatch": request().model_copy(
            update={"staff_proof": raw_token(claims_for(request(), sub="staff-99"))}
        ),
        "wrong_issuer": request().model_copy(
            update={"staff_proof": raw_token(claims_for(request(), iss="atena"))}
        ),
        "wrong_algorithm": request().model_copy(
            update={"staff_proof": raw_token(claims_for(request()), typ="JWT")}
        ),
    }


EXPECTED = {
    "missing": "missing",
    "malformed": "malformed",
    "unknown_key": "unknown_key",
    "bad_signature": "bad_signature",
    "expired": "expired",
    "not_yet_valid": "not_yet_valid",
    "lifetime_too_long": "lifetime_too_long",
    "digest_mismatch": "digest_mismatch",
    "renamed": "digest_mismatch",
    "wrong_action": "wrong_action",
    "subject_mismatch": "subject_mismatch",
    "wrong_issuer": "wrong_issuer",
    "wrong_algorithm": "wrong_algorithm",
}


@pytest.mark.parametrize("case", sorted(EXPECTED))
def test_a_wrong_proof_is_refused_with_a_code(case):
    with pytest.raises(StaffProofError) as refused:
        VERIFIER.verify(_tampered()[case], "collection")
    assert refused.value.code == EXPECTED[case]


def test_a_proof_counts_only_for_the_principal_whose_user_published_it():
    """Another principal's key, or collection's proof on a message atena's user published."""
    with pytest.raises(StaffProofError) as refused:
        VERIFIER.verify(SIGNER.sign(request()), "atena")
    assert refused.value.code == "unknown_key"


def test_a_token_of_another_algorithm_is_refused():
    """Algorithm confusion: only ES256 is verified, whatever the header says."""
    forged = jwt.encode(claims_for(request()), "k" * 32, algorithm="HS256", headers={"typ": TOKEN_TYPE})
    with pytest.raises(StaffProofError) as refused:
        VERIFIER.verify(request().model_copy(update={"staff_proof": forged}), "collection")
    assert refused.value.code == "wrong_algorithm"


def test_the_outbox_signs_a_staff_action_and_leaves_other_messages_alone():
    signed = sign_staged(request(), SIGNER)
    assert VERIFIER.verify(signed, "collection") == "staff-01"
    plain = receipts.RecordReceipt(
        channel="counter",
        channel_key="k-1",
        notice_number="N1",
        installment_no=1,
        amount=100,
        paid_on=dt.date(2026, 7, 1),
        booked_on=dt.date(2026, 7, 1),
    )
    assert sign_staged(plain, None) is plain
    with pytest.raises(StaffProofMissingKey):
        sign_staged(request(), None)


def test_the_signer_refuses_a_message_without_its_staff_id_or_not_a_staff_action():
    with pytest.raises(ValueError):
        SIGNER.sign(request(staff_user=""))
    with pytest.raises(ValueError):
        SIGNER.sign(
            address_sync.SetProtection(
                addressee_id="1", revision=1, protected=True, effective_on=dt.date(2026, 7, 1)
            )
        )


def test_a_key_can_be_rotated_by_listing_both_public_keys():
    new = generate_key()
    verifier = StaffProofVerifier({"collection": [COLLECTION_KEY[1], new[1]]})
    assert verifier.verify(StaffProofSigner("collection", new[0]).sign(request()), "collection") == "staff-01"
    assert verifier.verify(SIGNER.sign(request()), "collection") == "staff-01"
