"""Benchmarks (not collected by the default test run): `python -m tests.bench`."""
