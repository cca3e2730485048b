"""Helpers shared by the test suites and benchmarks (no pytest imports here)."""
