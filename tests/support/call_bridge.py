"""The call bridge's sealing of data messages (components_js/livekit/bridge_crypto.js), in
Python, so a test peer can read and send what browsers do."""

from __future__ import annotations

import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

SALT, INFO, IV_BYTES = b"distokoloshe call bridge", b"data messages", 12


def bridge_key(passphrase: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=SALT, info=INFO).derive(
        passphrase.encode())


def seal(passphrase: str, topic: str, data: bytes) -> bytes:
    iv = os.urandom(IV_BYTES)
    return iv + AESGCM(bridge_key(passphrase)).encrypt(iv, data, topic.encode())


def unseal(passphrase: str, topic: str, sealed: bytes) -> bytes:
    """Raises cryptography's InvalidTag when `passphrase` did not seal it."""
    return AESGCM(bridge_key(passphrase)).decrypt(sealed[:IV_BYTES], sealed[IV_BYTES:],
                                                  topic.encode())
