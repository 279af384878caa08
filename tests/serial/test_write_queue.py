"""The bounded write queue on its own: order, the byte bound, pausing, and counted drops."""

from __future__ import annotations

import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hardware.serial_port import PortStats
from hardware.serial_port.write_queue import WriteQueue

pytestmark = pytest.mark.usefixtures("hypothesis_storage")


class PausingTransport:
    """Takes writes until it holds `high_water` bytes, then pauses the queue (as the real
    transport's `pause_writing` does through the protocol)."""

    def __init__(self, queue: WriteQueue, high_water: int) -> None:
        self.queue = queue
        self.high_water = high_water
        self.buffered = bytearray()
        self.written = bytearray()

    def write(self, data: bytes) -> None:
        self.buffered += data
        if len(self.buffered) >= self.high_water:
            self.queue.paused = True

    def drain(self) -> None:
        """The device read everything: resume and pump (as `resume_writing` does)."""
        self.written += self.buffered
        self.buffered.clear()
        self.queue.paused = False
        self.queue.pump(self)


def test_writes_go_out_in_order_and_are_counted() -> None:
    stats = PortStats()
    queue = WriteQueue("dev", stats, limit_bytes=100)
    transport = PausingTransport(queue, high_water=1000)
    for index in range(5):
        assert queue.offer(b"cmd %d\n" % index, transport)
    assert bytes(transport.buffered) == b"".join(b"cmd %d\n" % index for index in range(5))
    assert queue.queued_bytes == 0
    assert (stats.writes_queued, stats.bytes_written, stats.writes_dropped) == (5, 30, 0)


def test_a_full_queue_drops_and_warns_once_until_rearmed(
    caplog: pytest.LogCaptureFixture,
) -> None:
    stats = PortStats()
    queue = WriteQueue("dev", stats, limit_bytes=10)
    assert queue.offer(b"0123456789", None)  # no transport yet: waits in the queue
    assert not queue.offer(b"x", None)
    assert not queue.offer(b"y", None)
    assert stats.writes_dropped == 2
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert [r.getMessage() for r in warnings] == [
        "Serial port dev: dropping writes (the write queue is full); counting them in its stats"
    ]
    queue.rearm_warning()
    queue.reject("the port is not open")
    assert "dropping writes (the port is not open)" in caplog.text
    queue.drop_all()
    assert queue.queued_bytes == 0
    assert stats.writes_dropped == 4  # the 10 queued bytes were one write


@given(
    chunks=st.lists(st.binary(min_size=1, max_size=40), max_size=60),
    limit=st.integers(min_value=1, max_value=200),
    high_water=st.integers(min_value=1, max_value=100),
    drain_every=st.integers(min_value=1, max_value=10),
)
def test_bounded_ordered_and_every_write_accounted_for(
    chunks: list[bytes], limit: int, high_water: int, drain_every: int
) -> None:
    stats = PortStats()
    queue = WriteQueue("dev", stats, limit_bytes=limit)
    transport = PausingTransport(queue, high_water)
    accepted: list[bytes] = []
    for index, chunk in enumerate(chunks):
        if queue.offer(chunk, transport):
            accepted.append(chunk)
        assert queue.queued_bytes <= limit
        if index % drain_every == 0:
            transport.drain()
    while queue.queued_bytes or transport.buffered:
        transport.drain()
    assert bytes(transport.written) == b"".join(accepted)
    assert stats.writes_queued == len(accepted)
    assert stats.writes_queued + stats.writes_dropped == len(chunks)
    assert stats.bytes_written == sum(map(len, accepted))
