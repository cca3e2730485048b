"""How hard the property tests search: EXAMPLES cases for each one.

200 in the suite, which keeps it inside its time budget; the README's long run sets
FUZZ_EXAMPLES=1000 (or more) to search harder.
"""

from __future__ import annotations

import os

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "200"))
if not 1 <= EXAMPLES <= 100_000:
    raise ValueError(f"FUZZ_EXAMPLES must be 1..100000, not {EXAMPLES}")
