"""`./tokoloshe up` builds the frontend only when something that feeds it changed, serves
that build from the backend with the edge's security headers, and a changed page shows up
on the next start. It runs in a copy of the tree (tests/support/quick_start.py), so the
suite's own build in `.web/` is left alone.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.ports import free_port
from tests.support.quick_start import copy_tree, start_once

pytestmark = pytest.mark.e2e

BUILT = "building the frontend"
UP_TO_DATE = "the frontend is up to date"
LOGIN_LINE = "No account yet? "


@pytest.fixture
def tree(tmp_path, app) -> Path:  # `app` has installed the frontend packages in .web/
    return copy_tree(tmp_path / "tree")


def test_up_builds_only_what_changed_and_serves_the_change(tree):
    port = free_port()
    first, page = start_once(tree, port)
    assert BUILT in first.log()  # a tree that was never built here
    assert LOGIN_LINE in page.text
    # nginx's part at the edge, done by the backend that serves the build
    assert "frame-ancestors 'none'" in page.headers.get("content-security-policy", "")
    assert page.headers.get("x-content-type-options") == "nosniff"

    again, page = start_once(tree, port)
    assert UP_TO_DATE in again.log() and BUILT not in again.log()
    assert LOGIN_LINE in page.text

    login = tree / "distokoloshe" / "pages" / "login.py"
    login.write_text(login.read_text().replace(LOGIN_LINE, "New here? "))
    changed, page = start_once(tree, port)
    assert BUILT in changed.log()
    assert "New here? " in page.text and LOGIN_LINE not in page.text
