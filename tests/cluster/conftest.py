"""Fixtures for the cluster tier: a real 3-node NATS 2.9 cluster per test (JetStream, MQTT with
`stream_replicas: 3`). Skipped, saying why, only when nats-server is not installed
(`scripts/check` installs Debian's `nats-server`)."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.helpers import in_thread

from .nats import NATS_SERVER, NatsCluster


@pytest.fixture
def nats_server() -> str:
    if not Path(NATS_SERVER).exists():
        pytest.skip("nats-server is not installed (scripts/check installs Debian's nats-server)")
    return NATS_SERVER


@pytest.fixture
async def nats_cluster(nats_server: str, tmp_path: Path) -> AsyncIterator[NatsCluster]:
    """NATS with its default MQTT settings."""
    async with _running(tmp_path, ordered=False) as cluster:
        yield cluster


@pytest.fixture
async def ordered_nats_cluster(nats_server: str, tmp_path: Path) -> AsyncIterator[NatsCluster]:
    """NATS set up to keep QoS 1 deliveries in order across a node failure (nats.ORDERED)."""
    async with _running(tmp_path, ordered=True) as cluster:
        yield cluster


@contextlib.asynccontextmanager
async def _running(tmp_path: Path, *, ordered: bool) -> AsyncIterator[NatsCluster]:
    cluster = await in_thread(functools.partial(NatsCluster, tmp_path / "nats", ordered=ordered))
    try:
        await cluster.async_start()
        yield cluster
    finally:
        await in_thread(cluster.kill_all)
