"""個人番号 sealed at rest: AES-256-GCM with a keyring, and a keyed blind index (HMAC-SHA256).

Keys come from configuration (`OSAME_MYNUMBER_KEY` = one base64 32-byte key with id
`OSAME_MYNUMBER_KEY_ID`, or `OSAME_MYNUMBER_KEYS` = "id:base64,id:base64"; the active
key for new ciphertexts is `OSAME_MYNUMBER_KEY_ID`). Every ciphertext records its key id,
so after adding a new key and making it active, `rotate-key` re-encrypts old rows.

- Ciphertext: nonce (12 random bytes) ‖ AES-GCM(number) with the addressee id as associated
  data, so a ciphertext copied to another row does not open.
- Blind index: HMAC-SHA256 under an index key derived (HKDF-SHA256) from each encryption key.
  Lookups compute the candidate index under every key in the ring, so a half-rotated
  database still finds 同一人; rotation rewrites the index under the active key.

Nothing here logs, and errors never include the number.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

NONCE_BYTES = 12
KEY_ID_PATTERN = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"


class KeyConfigurationError(ValueError):
    """The configured keys are unusable (message names the setting, never key material)."""


class SealedNumberError(Exception):
    """A ciphertext does not open (wrong key, tampered, or moved to another row)."""


@dataclass(frozen=True)
class Sealed:
    key_id: str
    blob: bytes  # nonce ‖ ciphertext+tag


def decode_key(text: str, setting: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise KeyConfigurationError(f"{setting}: not base64") from None
    if len(key) != 32:
        raise KeyConfigurationError(f"{setting}: must decode to 32 bytes (AES-256)")
    return key


def _check_key_id(key_id: str, setting: str) -> str:
    if not key_id or len(key_id) > 20 or any(c not in KEY_ID_PATTERN for c in key_id):
        raise KeyConfigurationError(f"{setting}: key id must be 1-20 characters [A-Za-z0-9_-]")
    return key_id


class Keyring:
    """Encryption keys by id, one of them active."""

    def __init__(self, keys: dict[str, bytes], active: str):
        if not keys:
            raise KeyConfigurationError("no 個人番号 key configured")
        if active not in keys:
            raise KeyConfigurationError("OSAME_MYNUMBER_KEY_ID: the active key id is not among the keys")
        self._keys = dict(keys)
        self.active = active
        self._index_keys = {kid: self._derive_index_key(k) for kid, k in keys.items()}

    @classmethod
    def from_settings(cls, single: str | None, key_id: str, many: str | None) -> Keyring | None:
        """Keys from `OSAME_MYNUMBER_KEY` (+ `_KEY_ID`) and/or `OSAME_MYNUMBER_KEYS`; None when none set."""
        keys: dict[str, bytes] = {}
        if many:
            for part in many.split(","):
                if not part.strip():
                    continue
                kid, sep, material = part.strip().partition(":")
                if not sep:
                    raise KeyConfigurationError("OSAME_MYNUMBER_KEYS: entries are id:base64key")
                kid = _check_key_id(kid, "OSAME_MYNUMBER_KEYS")
                if kid in keys:
                    raise KeyConfigurationError("OSAME_MYNUMBER_KEYS: a key id appears twice")
                keys[kid] = decode_key(material, "OSAME_MYNUMBER_KEYS")
        if single:
            kid = _check_key_id(key_id, "OSAME_MYNUMBER_KEY_ID")
            material = decode_key(single, "OSAME_MYNUMBER_KEY")
            if kid in keys and keys[kid] != material:
                raise KeyConfigurationError("OSAME_MYNUMBER_KEY and OSAME_MYNUMBER_KEYS disagree for one id")
            keys[kid] = material
        if not keys:
            return None
        return cls(keys, _check_key_id(key_id, "OSAME_MYNUMBER_KEY_ID"))

    @property
    def key_ids(self) -> list[str]:
        return sorted(self._keys)

    @staticmethod
    def _derive_index_key(key: bytes) -> bytes:
        return HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"osame my-number blind index v1"
        ).derive(key)

    def seal(self, number: str, addressee_id: str) -> Sealed:
        nonce = os.urandom(NONCE_BYTES)
        blob = AESGCM(self._keys[self.active]).encrypt(nonce, number.encode("ascii"), addressee_id.encode())
        return Sealed(self.active, nonce + blob)

    def open(self, sealed: Sealed, addressee_id: str) -> str:
        key = self._keys.get(sealed.key_id)
        if key is None:
            raise SealedNumberError(f"key id {sealed.key_id!r} is not configured")
        try:
            plain = AESGCM(key).decrypt(
                sealed.blob[:NONCE_BYTES], sealed.blob[NONCE_BYTES:], addressee_id.encode()
            )
        except InvalidTag:
            raise SealedNumberError("ciphertext does not open (tampered or moved)") from None
        return plain.decode("ascii")

    def blind_index(self, number: str, key_id: str | None = None) -> str:
        """HMAC-SHA256 (hex) of the number under the index key of `key_id` (default: active)."""
        return hmac.new(
            self._index_keys[key_id or self.active], number.encode("ascii"), hashlib.sha256
        ).hexdigest()

    def candidate_indexes(self, number: str) -> list[str]:
        """The number's blind index under every key (for lookups in a half-rotated database)."""
        return [self.blind_index(number, kid) for kid in self.key_ids]
