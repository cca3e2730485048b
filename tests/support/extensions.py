"""The extensions every suite's app runs with: the built-in soundboard, the guide's example
(docs/examples/waves.py) and a probe of the hooks (extension_probe.py), the last two
installed the way a team's package would be, through an entry point of the
`distokoloshe.extensions` group in a distribution's metadata.

Set up once per test process, before anything imports the app: the environment it leaves
(EXTENSIONS, PYTHONPATH) is inherited by every app the suites start, so the hostile-client
and fuzzing suites fire the extensions' handlers as they do the core's.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "docs" / "examples"
SUITE_EXTENSIONS = "waves,probe,soundboard"


def install_distribution(site: Path, name: str, entry_points: dict[str, str]) -> Path:
    """A distribution's metadata in `site`, offering `entry_points` (extension name ->
    "module:attribute"), as pip would leave it."""
    info = site / f"{name.replace('-', '_')}-1.0.dist-info"
    info.mkdir(parents=True, exist_ok=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
    lines = "".join(f"{ext} = {target}\n" for ext, target in entry_points.items())
    (info / "entry_points.txt").write_text(f"[distokoloshe.extensions]\n{lines}")
    return info


def install_suite_extensions() -> None:
    site = Path(tempfile.mkdtemp(prefix="dtk-extension-site-"))
    install_distribution(site, "waves-example", {"waves": "waves:extension"})
    install_distribution(site, "hook-probe",
                         {"probe": "tests.support.extension_probe:extension"})
    paths = [str(site), str(EXAMPLES), str(ROOT)]
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [*paths, *filter(None, [os.environ.get("PYTHONPATH", "")])])
    os.environ["EXTENSIONS"] = SUITE_EXTENSIONS
    sys.path[:0] = paths


def fresh_install_env(tree: Path, **extra: str) -> dict[str, str]:
    """The environment of a run of the tree at `tree` as a fresh install has it: this
    process's, without the suite's extensions (which live outside that tree)."""
    env = {**os.environ, "PYTHONPATH": str(tree), **extra}
    env.pop("EXTENSIONS", None)
    return env
