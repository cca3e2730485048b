"""Creates `.env` with fresh random secrets on first run; never overwrites one."""

from __future__ import annotations

import os
import secrets
import sys
from pathlib import Path

from distokoloshe.settings import PROJECT_ROOT


def fresh_secrets() -> dict[str, str]:
    return {
        "LIVEKIT_API_KEY": "API" + secrets.token_hex(6),
        "LIVEKIT_API_SECRET": secrets.token_urlsafe(36),
        "JWT_SECRET": secrets.token_urlsafe(48),
        # Separate from JWT_SECRET: leaking one must not expose the other.
        "E2EE_SECRET": secrets.token_urlsafe(48),
    }


def write_env_file(path: Path) -> bool:
    """Write `path` with new secrets unless it exists. True if it was written."""
    lines = ["# Generated on first run. Keep it private; it is ignored by git."]
    lines += [f"{name}={value}" for name, value in fresh_secrets().items()]
    try:
        # O_EXCL: fail if it exists (or is a symlink). Created 0600, so the secrets are
        # never readable by others, not even between writing and a later chmod.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        os.fchmod(handle.fileno(), 0o600)  # exactly 0600, whatever the umask
        handle.write("\n".join(lines) + "\n")
    return True


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else PROJECT_ROOT / ".env"
    print(f"wrote {target}" if write_env_file(target) else f"kept existing {target}")
