"""The login page stays under its weight limit: bench/page_weight.py builds the static site
as deployed, loads /login in Chromium with an empty cache, and exits 1 when the page's JS+CSS
is over 200 KB gzip or carries livekit-client.

The benchmark builds the frontend and runs an app of its own, so it runs in a copy of the
tree (tests/support/quick_start.py): the suite's app keeps serving its own build from `.web/`.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.support.extensions import fresh_install_env
from tests.support.quick_start import copy_tree

pytestmark = pytest.mark.e2e

TIMEOUT_S = 600  # an export and a handful of page loads; about a minute on an idle machine


def test_login_page_is_under_its_weight_limit(tmp_path, app):  # `app`: .web/ is installed
    tree = copy_tree(tmp_path / "tree", extra=("bench", "tests"))
    done = subprocess.run([sys.executable, "-m", "bench.page_weight", "--loads", "1"],
                          cwd=tree, env=fresh_install_env(tree),
                          capture_output=True, text=True, timeout=TIMEOUT_S)
    report = f"{done.stdout}\n{done.stderr[-3000:]}"
    assert done.returncode == 0, report
    assert "login page (/login)" in done.stdout, report
