"""Where ./tokoloshe caches what it builds or downloads once (the LiveKit server, Node, the
Go test tools): ${DISTOKOLOSHE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/distokoloshe}, read
the way the entry script reads it (an empty variable counts as unset)."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    return Path(os.environ.get("DISTOKOLOSHE_CACHE")
                or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
                / "distokoloshe")
