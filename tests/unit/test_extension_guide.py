"""The guide's example is the file the suite runs, short enough to read at a glance."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_guides_example_is_the_tested_file_and_under_60_lines():
    guide = (ROOT / "docs" / "extending.md").read_text()
    shown = re.search(r"```python\n(.*?)```", guide, re.DOTALL).group(1)
    tested = (ROOT / "docs" / "examples" / "waves.py").read_text()
    assert shown == tested
    assert len(tested.splitlines()) < 60


def test_the_readme_points_to_the_guide():
    readme = (ROOT / "README.md").read_text()
    assert "## Extending" in readme
    assert "docs/extending.md" in readme
