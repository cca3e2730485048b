"""End-to-end-encryption room keys, derived from E2EE_SECRET; LiveKit never sees them.

Each room's key comes from HKDF-SHA256 over the secret, the room id, the room's random
salt and a key epoch, so advancing the epoch replaces the key, and a new room never
inherits a deleted room's key. The key is handed to clients as a passphrase
string: livekit-client and the Python SDK both stretch a passphrase with the same PBKDF2,
which keeps browsers and Python peers interoperable.
"""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from distokoloshe.settings import Settings, get_settings

_SALT = b"distokoloshe/e2ee/room-key/v1"
KEY_BYTES = 32


def room_key(room_id: int, epoch: int = 0, *, salt: str = "",
             settings: Settings | None = None) -> str:
    settings = settings or get_settings()
    secret = settings.e2ee_secret.get_secret_value().encode()
    if len(secret) < 32:
        raise RuntimeError("E2EE_SECRET must be set to at least 32 characters (see .env).")
    hkdf = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=_SALT,
                info=f"room:{room_id}:salt:{salt}:epoch:{epoch}".encode())
    return base64.urlsafe_b64encode(hkdf.derive(secret)).decode().rstrip("=")


# livekit-client and the Python SDK keep a ring of 16 keys; the epoch picks the slot.
KEY_RING_SIZE = 16


def key_index(epoch: int) -> int:
    return epoch % KEY_RING_SIZE


def current_room_key(room, *, settings: Settings | None = None) -> str:
    return room_key(room.id, room.key_epoch, salt=room.key_salt or "", settings=settings)
