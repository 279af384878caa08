"""Fixtures for the cluster tier: a real 3-node NATS 2.9 cluster per test (JetStream, MQTT with
`stream_replicas: 3`). Skipped, saying why, only when nats-server is not installed
(`scripts/check` installs Debian's `nats-server`)."""

from __future__ import annotations

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
    cluster = await in_thread(NatsCluster, tmp_path / "nats")
    try:
        await cluster.async_start()
        yield cluster
    finally:
        await in_thread(cluster.kill_all)
