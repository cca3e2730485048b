"""Fixtures for every suite that drives real servers (see tests/support/live_fixtures.py)."""

from __future__ import annotations

import os
import sys

import pytest

from tests.support.extensions import install_suite_extensions

install_suite_extensions()  # before any suite imports the app

pytest_plugins = ["tests.support.live_fixtures"]

_exit_status: list[int] = []


def pytest_sessionfinish(session, exitstatus) -> None:
    _exit_status.append(int(exitstatus))


@pytest.hookimpl(trylast=True)
def pytest_unconfigure(config) -> None:
    """With the Python `livekit` SDK loaded, leave without the interpreter's teardown: the
    SDK disposes its Rust runtime at exit, and a runtime thread still working then can
    abort the process (SIGABRT, "panic in a function that cannot unwind") after every test
    has passed, which would turn a green run red. Every server and browser is stopped by
    now (session fixtures finish before this hook), and output is flushed first."""
    if "livekit.rtc" in sys.modules and _exit_status:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(_exit_status[-1])
