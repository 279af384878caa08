"""Fixtures for the entity behaviours suite (filters, debounce, clicks, interlocks)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis.configuration import set_hypothesis_home_dir


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems() -> Iterator[None]:
    """Keep hypothesis' on-disk constants cache out of the checkout while collecting."""
    with tempfile.TemporaryDirectory(prefix="hypothesis-") as folder:
        set_hypothesis_home_dir(folder)
        try:
            return (yield)
        finally:
            set_hypothesis_home_dir(None)


@pytest.fixture
def hypothesis_storage(tmp_path: Path) -> Iterator[None]:
    """Hypothesis' cache in the test's tmp_path, not in a .hypothesis folder."""
    set_hypothesis_home_dir(tmp_path / "hypothesis")
    yield
    set_hypothesis_home_dir(None)


# The gpio suite's fixtures: a per-test MockFactory, the gpio component on `gw`, a state_dir.
from tests.gpio.conftest import factory, gpio, state_dir  # noqa: E402, F401
