"""Proof of the staff identity carried by a staff action on the bus (職員の本人確認).

A message whose contract sets `staff_field` (e.g. `IncomeQueryRequested.staff_user`,
`MergeAddressees.decided_by`) is a staff action. Its publisher — the service (or outside
system) that authenticated the staff member at its own door — signs a short-lived JWS
(ES256) over exactly that message and puts it in `staff_proof`:

    header  {"alg": "ES256", "typ": "osame-staff-proof+jwt", "kid": <key id>}
    claims  {"iss": <publishing principal>, "sub": <staff id>, "act": <routing key>,
             "dig": <base64url SHA-256 of the message without staff_proof>, "iat", "exp"}

The receiver (the chassis consumer, once, for every service) verifies the signature with the
publisher's public key, that `iss` is the principal whose broker user published the message,
that `act`, `sub` and `dig` match the message, and the lifetime. So a staff name cannot be
forged, moved to another message or reused for another action, and — unlike a forwarded
staff JWT — the proof is not a bearer credential for any API if the message is copied from an
outbox, a DLQ or a log.

The outbox signs at staging time (`sign_staged`), so a row written to the outbox table by
anything but the service's own code carries no valid proof.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from osame_contracts.base import Message

ALGORITHM = "ES256"
TOKEN_TYPE = "osame-staff-proof+jwt"
LEEWAY_SECONDS = 60


class StaffProofError(Exception):
    """A staff proof is missing or does not verify; `code` is safe to log (no personal data)."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def digest(message: Message) -> str:
    """Base64url SHA-256 of the message's JSON without its proof (what the proof is bound to)."""
    body = message.model_dump_json(exclude={"staff_proof"}).encode()
    return base64.urlsafe_b64encode(hashlib.sha256(body).digest()).rstrip(b"=").decode()


def key_id(public_key: ec.EllipticCurvePublicKey) -> str:
    der = public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()[:16]


def generate_key() -> tuple[str, str]:
    """A new P-256 key pair as (private PEM, public PEM)."""
    private = ec.generate_private_key(ec.SECP256R1())
    private_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private_pem, public_pem


def staff_of(message: Message) -> str:
    return str(getattr(message, message.staff_field or "", "") or "")


class StaffProofSigner:
    """Signs staff actions as `principal` with its private key."""

    def __init__(self, principal: str, private_key_pem: str, ttl_seconds: int = 86_400):
        key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
            raise ValueError("a staff proof signing key must be an EC P-256 private key")
        self.principal = principal
        self._key = key
        self._kid = key_id(key.public_key())
        self._ttl = ttl_seconds

    def sign(self, message: Message, *, now: float | None = None) -> Message:
        """The message with `staff_proof` set (its staff field must hold the authenticated staff id)."""
        if message.staff_field is None:
            raise ValueError(f"{message.routing_key} is not a staff action")
        subject = staff_of(message)
        if not subject:
            raise ValueError(f"{message.routing_key}: no staff id in {message.staff_field}")
        issued = int(time.time() if now is None else now)
        claims = {
            "iss": self.principal,
            "sub": subject,
            "act": message.routing_key,
            "dig": digest(message),
            "iat": issued,
            "exp": issued + self._ttl,
        }
        token = jwt.encode(
            claims, self._key, algorithm=ALGORITHM, headers={"kid": self._kid, "typ": TOKEN_TYPE}
        )
        return message.model_copy(update={"staff_proof": token})


@dataclass
class StaffProofVerifier:
    """Verifies staff proofs against the public keys of each publishing principal."""

    public_keys: Mapping[str, Iterable[str]]
    max_lifetime_seconds: int = 86_400
    _keys: dict[str, dict[str, ec.EllipticCurvePublicKey]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._keys = {}
        for principal, pems in self.public_keys.items():
            for pem in [pems] if isinstance(pems, str) else pems:
                key = serialization.load_pem_public_key(pem.encode())
                if not isinstance(key, ec.EllipticCurvePublicKey):
                    raise ValueError(f"staff proof key of {principal} is not an EC public key")
                self._keys.setdefault(principal, {})[key_id(key)] = key

    def verify(self, message: Message, publisher: str) -> str:
        """The proven staff id; raises `StaffProofError` unless `publisher` signed exactly this message."""
        token = getattr(message, "staff_proof", None)
        if not token:
            raise StaffProofError("missing")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise StaffProofError("malformed") from None
        if header.get("alg") != ALGORITHM or header.get("typ") != TOKEN_TYPE:
            raise StaffProofError("wrong_algorithm")
        key = self._keys.get(publisher, {}).get(str(header.get("kid")))
        if key is None:
            raise StaffProofError("unknown_key")
        options = {"require": ["iss", "sub", "iat", "exp"], "verify_aud": False}
        try:
            claims = jwt.decode(
                token, key, algorithms=[ALGORITHM], issuer=publisher, options=options, leeway=LEEWAY_SECONDS
            )
        except jwt.ExpiredSignatureError:
            raise StaffProofError("expired") from None
        except jwt.ImmatureSignatureError:
            raise StaffProofError("not_yet_valid") from None
        except jwt.InvalidIssuerError:
            raise StaffProofError("wrong_issuer") from None
        except jwt.InvalidSignatureError:
            raise StaffProofError("bad_signature") from None
        except jwt.PyJWTError:
            raise StaffProofError("malformed") from None
        if claims["exp"] - claims["iat"] > self.max_lifetime_seconds:
            raise StaffProofError("lifetime_too_long")
        if claims.get("act") != message.routing_key:
            raise StaffProofError("wrong_action")
        if claims.get("dig") != digest(message):
            raise StaffProofError("digest_mismatch")
        if claims["sub"] != staff_of(message):
            raise StaffProofError("subject_mismatch")
        return claims["sub"]


def _read(path: Path | None) -> str | None:
    return path.read_text(encoding="utf-8") if path is not None else None


def signer_from_settings(settings) -> StaffProofSigner | None:
    """This service's signer, or None when it has no key (it then cannot publish staff actions)."""
    pem = settings.staff_proof_signing_key.get_secret_value() if settings.staff_proof_signing_key else None
    pem = pem or _read(settings.staff_proof_signing_key_file)
    if not pem:
        return None
    return StaffProofSigner(settings.service_name, pem, settings.staff_proof_ttl_seconds)


def verifier_from_settings(settings) -> StaffProofVerifier:
    keys: dict[str, list[str]] = {}
    from_file = _read(settings.staff_proof_public_keys_file)
    for source in (json.loads(from_file) if from_file else {}, settings.staff_proof_public_keys):
        for principal, pems in source.items():
            keys.setdefault(principal, []).extend([pems] if isinstance(pems, str) else pems)
    return StaffProofVerifier(keys, max_lifetime_seconds=settings.staff_proof_ttl_seconds)


class StaffProofMissingKey(RuntimeError):
    """A staff action was staged by a process with no staff proof signing key."""


def sign_staged(message: Message, signer: StaffProofSigner | None) -> Message:
    """What the outbox stores: a staff action signed by this process; any other message unchanged."""
    if message.staff_field is None:
        return message
    if signer is None:
        raise StaffProofMissingKey(
            f"{message.routing_key} is a staff action: set OSAME_STAFF_PROOF_SIGNING_KEY(_FILE) to publish it"
        )
    return signer.sign(message)
