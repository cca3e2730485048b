"""Fixtures for every suite that drives real servers (see tests/support/live_fixtures.py)."""

pytest_plugins = ["tests.support.live_fixtures"]
