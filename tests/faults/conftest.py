"""The fault suite: broker restarts, serial unplugs, stuck drivers, signals, hostile payloads.

Every test is bounded in time and waits on messages or events, never on sleeps. Figures worth
watching over time (reconnect times, RSS growth, stop durations) are collected with `figure()`
and printed at the end of the run under "fault figures".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

FAULT_TEST_TIMEOUT = 60
FIGURES: dict[str, str] = {}


def figure(name: str, value: str) -> None:
    """Record one figure for the end-of-run summary."""
    FIGURES[name] = value


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if FIGURES:
        terminalreporter.section("fault figures")
        for name, value in FIGURES.items():
            terminalreporter.write_line(f"{name}: {value}")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Each fault test must finish well inside a minute (pyproject's default is 120 s)."""
    here = Path(__file__).parent
    for item in items:
        if item.path.is_relative_to(here) and item.get_closest_marker("timeout") is None:
            item.add_marker(pytest.mark.timeout(FAULT_TEST_TIMEOUT))
