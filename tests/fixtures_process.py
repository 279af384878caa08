"""Pytest plugin: `gateway_processes`, daemon processes killed after the test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.process import GatewayProcess


@pytest.fixture
def gateway_processes(tmp_path: Path) -> Iterator[Callable[..., GatewayProcess]]:
    """Make `GatewayProcess`es (not started) that are killed after the test."""
    made: list[GatewayProcess] = []

    def make(config: str, **kwargs: object) -> GatewayProcess:
        process = GatewayProcess(tmp_path, config, **kwargs)  # type: ignore[arg-type]
        made.append(process)
        return process

    yield make
    for process in made:
        process.kill()
