"""Small Go programs under tests/deploy, built once through the Go module proxy and cached.

Each program is its own module (go.mod and go.sum committed). The binary is cached in bin/ of
./tokoloshe's cache dir (tests/support/cache.py) by a hash of its sources, so CI and later
runs reuse it.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

from tests.support.cache import cache_dir

ROOT = Path(__file__).resolve().parents[2]


def go_tool(name: str, *, timeout: float = 900) -> Path:
    """The built binary of tests/deploy/<name>, building it if its sources changed."""
    source = ROOT / "tests" / "deploy" / name
    digest = hashlib.sha256()
    for path in sorted(source.glob("*")):
        if path.suffix in (".go", ".mod", ".sum"):
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    binary = cache_dir() / "bin" / f"{name}-{digest.hexdigest()[:16]}"
    if binary.exists():
        return binary
    go = shutil.which("go") or "/usr/local/go/bin/go"
    binary.parent.mkdir(parents=True, exist_ok=True)
    partial = binary.with_suffix(".partial")
    subprocess.run([go, "build", "-o", str(partial), "."], cwd=source, check=True,
                   timeout=timeout, capture_output=True,
                   env={**os.environ, "GOFLAGS": "-mod=readonly"})
    partial.rename(binary)
    return binary
