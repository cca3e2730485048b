"""Creates `.env` with fresh random secrets on first run; never overwrites one."""

from __future__ import annotations

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
        with path.open("x", encoding="utf-8") as handle:  # "x": fail if it exists
            handle.write("\n".join(lines) + "\n")
    except FileExistsError:
        return False
    path.chmod(0o600)
    return True


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else PROJECT_ROOT / ".env"
    print(f"wrote {target}" if write_env_file(target) else f"kept existing {target}")
