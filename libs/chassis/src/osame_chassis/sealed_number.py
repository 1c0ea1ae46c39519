"""個人番号 on the shared bus: sealed to address-sync's transport key at the edge (issue 13 item 4).

No 個人番号 travels in clear on RabbitMQ: a publisher (住基, 宛名管理, `osame publish`, the demo)
seals each number to address-sync's *public* transport key, and only address-sync, holding the
private key, opens it. Anyone who can read a queue, a DLQ or a broker backup sees only the
envelope `{"key_id": ..., "sealed": ...}` (osame_contracts.base.SealedMyNumber).

The envelope is an ECIES-style sealed box from the `cryptography` package:

- X25519: a fresh ephemeral key pair per number; shared secret with the recipient's public key;
- HKDF-SHA256 (salt = ephemeral public ‖ recipient public, info = `INFO`) → a 32-byte AES key;
- AES-256-GCM with a random 12-byte nonce; associated data = `AAD_PREFIX` ‖ routing key ‖ "|" ‖
  宛名番号, so a sealed number copied into another message type or another person's message does
  not open;
- `sealed` = base64url without padding of ephemeral public (32) ‖ nonce (12) ‖ ciphertext+tag (28):
  always 96 characters.

Keys: the recipient holds `OSAME_MYNUMBER_TRANSPORT_KEYS` = "id:base64 private key,…" (every id
listed opens; rotation = add a key, hand out its public key, drop the old one once no message
sealed to it is queued). Publishers hold only `id:base64 public key`
(`OSAME_MYNUMBER_TRANSPORT_PUBLIC_KEY`). Nothing here logs; errors never carry a number or key.
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import os
import re
import typing
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from osame_contracts.my_number import SealedMyNumber, is_valid_my_number
from pydantic import BaseModel

INFO = b"osame my-number transport v1"
AAD_PREFIX = b"osame-mynumber-v1|"
NONCE_BYTES = 12
SEALED_CHARS = 96  # base64url(32 + 12 + 12 + 16 bytes), no padding
KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,20}$")
_RAW = serialization.Encoding.Raw

# A 12-digit run that is not part of a longer number (see `clear_my_number_in`).
_TWELVE_DIGITS = re.compile(rb"(?<![0-9])[0-9]{12}(?![0-9])")


# The synthetic demo city's transport key (the local stack, `osame demo`, the e2e tests): public in
# this source, so address-sync refuses it unless OSAME_ENVIRONMENT=development.
DEMO_TRANSPORT_PRIVATE = base64.b64encode(hashlib.sha256(b"osame demo city transport key").digest()).decode()
DEMO_TRANSPORT_KEYS = f"demo:{DEMO_TRANSPORT_PRIVATE}"


class TransportKeyError(ValueError):
    """A transport key setting is unusable (names the setting, never key material)."""


class SealedNumberRefused(Exception):
    """An envelope does not open here: unknown key id, tampered, or moved to another message."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


# -- a number in clear ------------------------------------------------------------------------------


def clear_my_number_in(body: bytes) -> bool:
    """True when `body` holds a 12-digit run with a valid 個人番号 check digit (a number in clear)."""
    return any(is_valid_my_number(m.group().decode()) for m in _TWELVE_DIGITS.finditer(body))


# -- keys ------------------------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _decode32(text: str, setting: str) -> bytes:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise TransportKeyError(f"{setting}: not base64") from None
    if len(raw) != 32:
        raise TransportKeyError(f"{setting}: an X25519 key is 32 bytes")
    return raw


def _key_id(text: str, setting: str) -> str:
    if not KEY_ID.match(text):
        raise TransportKeyError(f"{setting}: key id must be 1-20 characters [A-Za-z0-9_-]")
    return text


def generate_keypair() -> tuple[str, str]:
    """A new transport key pair as (base64 private, base64 public)."""
    private = X25519PrivateKey.generate()
    return (
        _b64(private.private_bytes(_RAW, serialization.PrivateFormat.Raw, serialization.NoEncryption())),
        _b64(private.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw)),
    )


def public_of(private_b64: str) -> str:
    """The base64 public key of a base64 private transport key."""
    private = X25519PrivateKey.from_private_bytes(_decode32(private_b64, "private key"))
    return _b64(private.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw))


@dataclass(frozen=True)
class RecipientKey:
    """A public transport key a publisher seals to."""

    key_id: str
    public: bytes

    @classmethod
    def parse(cls, text: str, setting: str = "OSAME_MYNUMBER_TRANSPORT_PUBLIC_KEY") -> RecipientKey:
        """`id:base64 public key`."""
        kid, sep, material = text.strip().partition(":")
        if not sep:
            raise TransportKeyError(f"{setting}: expected id:base64key")
        return cls(_key_id(kid, setting), _decode32(material, setting))


def _aad(routing_key: str, addressee_id: str) -> bytes:
    return AAD_PREFIX + routing_key.encode() + b"|" + addressee_id.encode()


def _aes_key(shared: bytes, ephemeral_public: bytes, recipient_public: bytes) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=ephemeral_public + recipient_public, info=INFO
    ).derive(shared)


def seal(
    number: str,
    recipient: RecipientKey,
    *,
    routing_key: str,
    addressee_id: str,
    entropy: bytes | None = None,
) -> dict[str, str]:
    """The envelope `{"key_id", "sealed"}` of `number` for the message `routing_key` about `addressee_id`.

    `entropy` (44 bytes: ephemeral key ‖ nonce) is for synthetic data that must be reproducible
    (the demo city); real publishers leave it out and get fresh randomness.
    """
    if len(number) != 12 or not number.isascii() or not number.isdigit():
        raise ValueError("a 個人番号 is 12 digits")
    material = entropy if entropy is not None else os.urandom(32 + NONCE_BYTES)
    if len(material) != 32 + NONCE_BYTES:
        raise ValueError("entropy must be 44 bytes")
    ephemeral = X25519PrivateKey.from_private_bytes(material[:32])
    nonce = material[32:]
    ephemeral_public = ephemeral.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw)
    shared = ephemeral.exchange(X25519PublicKey.from_public_bytes(recipient.public))
    key = _aes_key(shared, ephemeral_public, recipient.public)
    blob = AESGCM(key).encrypt(nonce, number.encode("ascii"), _aad(routing_key, addressee_id))
    sealed = base64.urlsafe_b64encode(ephemeral_public + nonce + blob).decode().rstrip("=")
    return {"key_id": recipient.key_id, "sealed": sealed}


class TransportKeyring:
    """The recipient's private transport keys by id (address-sync)."""

    def __init__(self, keys: dict[str, X25519PrivateKey]):
        if not keys:
            raise TransportKeyError("no 個人番号 transport key configured")
        self._keys = dict(keys)

    @classmethod
    def parse(cls, text: str, setting: str = "OSAME_MYNUMBER_TRANSPORT_KEYS") -> TransportKeyring:
        """`id:base64 private key,id:base64 private key`."""
        keys: dict[str, X25519PrivateKey] = {}
        for part in text.split(","):
            if not part.strip():
                continue
            kid, sep, material = part.strip().partition(":")
            if not sep:
                raise TransportKeyError(f"{setting}: entries are id:base64key")
            kid = _key_id(kid, setting)
            if kid in keys:
                raise TransportKeyError(f"{setting}: a key id appears twice")
            keys[kid] = X25519PrivateKey.from_private_bytes(_decode32(material, setting))
        return cls(keys)

    @property
    def key_ids(self) -> list[str]:
        return sorted(self._keys)

    def holds_demo_key(self) -> bool:
        demo = X25519PrivateKey.from_private_bytes(base64.b64decode(DEMO_TRANSPORT_PRIVATE))
        raw = serialization.PublicFormat.Raw
        return any(
            k.public_key().public_bytes(_RAW, raw) == demo.public_key().public_bytes(_RAW, raw)
            for k in self._keys.values()
        )

    def public_key(self, key_id: str) -> RecipientKey:
        public = self._keys[key_id].public_key().public_bytes(_RAW, serialization.PublicFormat.Raw)
        return RecipientKey(key_id, public)

    def open(self, key_id: str, sealed: str, *, routing_key: str, addressee_id: str) -> str:
        """The number inside the envelope; SealedNumberRefused(code) when it does not open here."""
        private = self._keys.get(key_id)
        if private is None:
            raise SealedNumberRefused("my_number_unknown_transport_key")
        try:
            raw = base64.urlsafe_b64decode(sealed + "=" * (-len(sealed) % 4))
        except (binascii.Error, ValueError):
            raise SealedNumberRefused("my_number_envelope_malformed") from None
        if len(raw) != 32 + NONCE_BYTES + 12 + 16:
            raise SealedNumberRefused("my_number_envelope_malformed")
        ephemeral_public, nonce, blob = raw[:32], raw[32 : 32 + NONCE_BYTES], raw[32 + NONCE_BYTES :]
        recipient_public = private.public_key().public_bytes(_RAW, serialization.PublicFormat.Raw)
        try:
            shared = private.exchange(X25519PublicKey.from_public_bytes(ephemeral_public))
            key = _aes_key(shared, ephemeral_public, recipient_public)
            plain = AESGCM(key).decrypt(nonce, blob, _aad(routing_key, addressee_id))
        except (InvalidTag, ValueError):
            raise SealedNumberRefused("my_number_envelope_does_not_open") from None
        number = plain.decode("ascii", errors="replace")
        if len(number) != 12 or not number.isdigit():
            raise SealedNumberRefused("my_number_envelope_malformed")
        return number  # the check digit is the receiver's rule to report


# -- tools that publish JSON files (`osame publish`) -------------------------------------------------


def sealed_paths(model: type[BaseModel], prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Where `model` carries a 個人番号 (fields typed SealedMyNumber, nested parts included)."""
    paths: list[tuple[str, ...]] = []
    for name, info in model.model_fields.items():
        for kind in typing.get_args(info.annotation) or (info.annotation,):
            if kind is SealedMyNumber:
                paths.append((*prefix, name))
            elif isinstance(kind, type) and issubclass(kind, BaseModel):
                paths.extend(sealed_paths(kind, (*prefix, name)))
    return paths


def seal_clear_numbers(body: dict, model, recipient: RecipientKey | None) -> dict:
    """`body` with each 個人番号 given in clear (a string) at a sealed field sealed to `recipient`.

    Raises TransportKeyError when a clear number is present and no recipient key is configured.
    """
    out = copy.deepcopy(body)
    for path in sealed_paths(model):
        parent = out
        for step in path[:-1]:
            parent = parent.get(step) if isinstance(parent, dict) else None
        if not isinstance(parent, dict) or not isinstance(parent.get(path[-1]), str):
            continue
        if recipient is None:
            raise TransportKeyError(
                f"$.{'.'.join(path)}: a 個人番号 travels sealed; give address-sync's transport public key "
                "(--mynumber-key or OSAME_MYNUMBER_TRANSPORT_PUBLIC_KEY)"
            )
        parent[path[-1]] = seal(
            parent[path[-1]],
            recipient,
            routing_key=model.routing_key,
            addressee_id=str(out.get("addressee_id", "")),
        )
    return out
