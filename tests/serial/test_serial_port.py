"""The port manager on real pseudo-terminals: reading, writing, unplug/replug, bursts."""

from __future__ import annotations

import asyncio
import logging
import threading
from pathlib import Path

import pytest
import serial

from gateway.clock import FakeClock
from gateway.config.model import SerialPortConfig
from gateway.core import Gateway
from hardware.backoff import Backoff
from hardware.serial_port import (
    BACKOFF_MAXIMUM,
    TRANSPORT_HIGH_WATER,
    SerialPortManager,
    SerialPortSettings,
    open_port,
)
from platforms.serial import port_settings
from tests.serial.conftest import MakeManager, PtyDevice, port_config

pytestmark = pytest.mark.timeout(60)


async def test_frames_from_the_device_reach_listeners(
    device: PtyDevice, make_manager: MakeManager
) -> None:
    manager, recorder = await make_manager(port_config(device))
    assert manager.available
    assert recorder.availability == [True]
    await device.write(b"T=21.5\r\nH=4")
    await device.write(b"0\n")
    await recorder.wait_frames(2)
    assert recorder.frames == [b"T=21.5", b"H=40"]
    assert manager.stats.frames == 2


async def test_one_reader_fans_out_to_every_listener(
    device: PtyDevice, make_manager: MakeManager
) -> None:
    manager, recorder = await make_manager(port_config(device))
    seen: list[bytes] = []
    remove = manager.async_add_frame_listener(seen.append)
    await device.write(b"a\nb\n")
    await recorder.wait_frames(2)
    remove()
    await device.write(b"c\n")
    await recorder.wait_frames(3)
    assert seen == [b"a", b"b"]
    assert recorder.frames == [b"a", b"b", b"c"]


async def test_a_failing_listener_does_not_stop_the_others(
    device: PtyDevice, make_manager: MakeManager, caplog: pytest.LogCaptureFixture
) -> None:
    manager, recorder = await make_manager(port_config(device))

    def broken(_frame: bytes) -> None:
        raise RuntimeError("boom")

    manager.async_add_frame_listener(broken)
    await device.write(b"x\n")
    await recorder.wait_frames(1)
    assert "frame listener failed" in caplog.text
    caplog.clear()


async def test_writes_reach_the_device_in_order(
    device: PtyDevice, make_manager: MakeManager
) -> None:
    manager, _ = await make_manager(port_config(device))
    for index in range(100):
        assert manager.async_write(b"cmd %d\n" % index)
    expected = b"".join(b"cmd %d\n" % index for index in range(100))
    await device.wait_received(lambda got: len(got) >= len(expected), "all commands")
    assert bytes(device.received) == expected
    assert manager.stats.bytes_written == len(expected)


async def test_port_settings_are_applied(device: PtyDevice, make_manager: MakeManager) -> None:
    opened: list[serial.Serial] = []

    def opener(config: SerialPortSettings) -> serial.Serial:
        port = open_port(config)
        opened.append(port)
        return port

    config = port_config(device, baudrate=19200, bytesize=7, parity="E", stopbits=2, rtscts=True)
    manager, _ = await make_manager(config, opener=opener)
    (port,) = opened
    assert (port.baudrate, port.bytesize, port.parity, port.stopbits) == (19200, 7, "E", 2)
    assert port.rtscts
    assert port.timeout == 0
    assert port.write_timeout == 0
    await manager.async_stop()
    assert not port.is_open  # closed (in the executor) by stop


async def test_unplug_and_replug_ten_times(
    device: PtyDevice, make_manager: MakeManager, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    manager, recorder = await make_manager(port_config(device))
    for cycle in range(10):
        device.unplug()
        await recorder.wait_available(manager, False)
        device.plug()
        clock.advance(BACKOFF_MAXIMUM)  # the reopen timer runs on the gateway's clock
        await recorder.wait_available(manager, True)
        await device.write(b"cycle %d\n" % cycle)
        await recorder.wait_frames(cycle + 1)
    assert recorder.availability == [True] + [False, True] * 10
    assert recorder.frames == [b"cycle %d" % cycle for cycle in range(10)]
    assert manager.stats.opens == 11
    assert manager.stats.disconnects == 10
    warnings = [r for r in caplog.records if "went away" in r.getMessage()]
    assert len(warnings) == 10
    assert all(record.levelno == logging.WARNING for record in warnings)


async def test_partial_line_is_discarded_at_disconnect(
    device: PtyDevice, make_manager: MakeManager, clock: FakeClock
) -> None:
    manager, recorder = await make_manager(port_config(device))
    await device.write(b"first\npartial li")
    await recorder.wait_frames(1)
    device.unplug()
    await recorder.wait_available(manager, False)
    device.plug()
    clock.advance(BACKOFF_MAXIMUM)
    await recorder.wait_available(manager, True)
    await device.write(b"ne\nnext\n")
    await recorder.wait_frames(3)
    assert recorder.frames == [b"first", b"ne", b"next"]


async def test_device_absent_at_start_is_retried_with_backoff(
    tmp_path: Path, gw: Gateway, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    link = tmp_path / "ttyUSB-missing"
    config = SerialPortConfig(id="late", port=str(link))
    manager = SerialPortManager(gw, port_settings(config), backoff=Backoff(rand=lambda: 0.0))
    changes: list[bool] = []
    manager.async_add_availability_listener(changes.append)
    await manager.async_start()
    assert not manager.available
    assert manager.stats.open_failures == 1
    assert "cannot open" in caplog.text
    clock.advance(0.49)
    await gw.async_block_till_done()
    assert manager.stats.open_failures == 1  # not yet: the first delay is 0.5 s
    clock.advance(0.01)
    await gw.async_block_till_done()
    assert manager.stats.open_failures == 2
    clock.advance(1.0)  # second delay: 1 s
    await gw.async_block_till_done()
    assert manager.stats.open_failures == 3
    device = PtyDevice(link)
    device.plug()
    try:
        clock.advance(2.0)
        await gw.async_block_till_done()
        assert manager.available
        assert changes == [True]
    finally:
        await manager.async_stop()
        device.unplug()
    assert clock.pending() == 0


def test_backoff_doubles_with_jitter_up_to_the_maximum() -> None:
    low = Backoff(rand=lambda: 0.0)
    assert [low.next_delay() for _ in range(9)] == [0.5, 1, 2, 4, 8, 16, 30, 30, 30]
    high = Backoff(rand=lambda: 1.0)
    assert [high.next_delay() for _ in range(3)] == [0.625, 1.25, 2.5]
    high.reset()
    assert high.next_delay() == 0.625
    with pytest.raises(ValueError, match="initial"):
        Backoff(initial=0)


async def test_overlong_lines_are_discarded_with_a_warning(
    device: PtyDevice, make_manager: MakeManager, caplog: pytest.LogCaptureFixture
) -> None:
    manager, recorder = await make_manager(port_config(device, max_line=16))
    await device.write(b"x" * 10_000 + b"\nok\n")
    await recorder.wait_frames(1)
    assert recorder.frames == [b"ok"]
    assert manager.stats.overlong == 1
    assert "longer than max_line (16 bytes)" in caplog.text


async def test_garbage_bytes_do_not_break_the_stream(
    device: PtyDevice, make_manager: MakeManager
) -> None:
    manager, recorder = await make_manager(port_config(device))
    await device.write(b"\xff\xfe\x00garbage\x80\nT=1\n")
    await recorder.wait_frames(2)
    assert recorder.frames == [b"\xff\xfe\x00garbage\x80", b"T=1"]
    assert manager.decode(recorder.frames[0]) == "\ufffd\ufffd\x00garbage\ufffd"


async def test_hex_port_frames_decode_as_hex(device: PtyDevice, make_manager: MakeManager) -> None:
    manager, recorder = await make_manager(port_config(device, encoding="hex", delimiter=";"))
    await device.write(b"\x01\x02;\xff;")
    await recorder.wait_frames(2)
    assert [manager.decode(frame) for frame in recorder.frames] == ["0102", "ff"]


async def test_burst_larger_than_the_tty_buffer_keeps_the_loop_responsive(
    device: PtyDevice, make_manager: MakeManager
) -> None:
    manager, recorder = await make_manager(port_config(device))
    lines = [b"line %06d %s" % (index, b"." * 40) for index in range(20_000)]
    burst = b"".join(line + b"\n" for line in lines)  # ~1 MB, far more than a pty holds
    loop = asyncio.get_running_loop()
    gaps: list[float] = []

    async def heartbeat() -> None:
        last = loop.time()
        while True:
            await asyncio.sleep(0.005)
            now = loop.time()
            gaps.append(now - last)
            last = now

    ticker = loop.create_task(heartbeat())
    try:
        await device.write(burst)
        await recorder.wait_frames(len(lines))
    finally:
        ticker.cancel()
        await asyncio.gather(ticker, return_exceptions=True)
    assert recorder.frames == lines
    assert max(gaps) < 0.25, f"the loop stalled for {max(gaps):.3f} s"
    # No busy loop: once idle, a line costs one or two reader wake-ups.
    wakeups = manager.stats.read_wakeups
    await device.write(b"after\n")
    await recorder.wait_frames(len(lines) + 1)
    assert manager.stats.read_wakeups - wakeups <= 2


async def test_writes_to_a_stuck_port_are_bounded_and_counted(
    device: PtyDevice, make_manager: MakeManager, caplog: pytest.LogCaptureFixture
) -> None:
    manager, _ = await make_manager(port_config(device), write_queue_bytes=8192)
    loop = asyncio.get_running_loop()
    loop.remove_reader(device.master)  # the device stops reading: the pty fills up
    accepted: list[bytes] = []
    for index in range(20_000):
        chunk = b"%05d" % index + b"-" * 94 + b"\n"
        if manager.async_write(chunk):
            accepted.append(chunk)
        assert manager.queued_bytes <= 8192
        transport = manager._transport
        assert transport is not None
        assert transport.get_write_buffer_size() <= TRANSPORT_HIGH_WATER + len(chunk)
        if index % 500 == 0:
            await asyncio.sleep(0)  # let the writer run between batches, as MQTT would
    assert manager.stats.writes_dropped > 0
    assert manager.stats.writes_dropped + len(accepted) == 20_000
    assert "dropping writes (the write queue is full)" in caplog.text
    expected = b"".join(accepted)
    loop.add_reader(device.master, device._readable)
    await device.wait_received(lambda got: len(got) >= len(expected), "accepted writes")
    assert bytes(device.received) == expected  # in order, none lost once accepted


async def test_writes_while_unplugged_are_dropped(
    device: PtyDevice, make_manager: MakeManager
) -> None:
    manager, recorder = await make_manager(port_config(device))
    device.unplug()
    await recorder.wait_available(manager, False)
    assert not manager.async_write(b"lost\n")
    assert manager.stats.writes_dropped == 1


async def test_stop_closes_the_port_and_cancels_the_retry(
    device: PtyDevice, make_manager: MakeManager, clock: FakeClock
) -> None:
    manager, recorder = await make_manager(port_config(device))
    device.unplug()
    await recorder.wait_available(manager, False)
    assert clock.pending() == 1  # the reopen timer
    await manager.async_stop()
    assert clock.pending() == 0
    assert recorder.availability == [True, False]


async def test_stop_does_not_report_unavailable(
    device: PtyDevice, make_manager: MakeManager
) -> None:
    manager, recorder = await make_manager(port_config(device))
    await manager.async_stop()
    assert recorder.availability == [True]
    assert device.plugged


async def test_hung_open_is_retried_and_its_port_closed_when_it_returns(
    device: PtyDevice, gw: Gateway, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    gw.executor_timeout = 0.2
    loop = asyncio.get_running_loop()
    release = threading.Event()
    closed = asyncio.Event()

    class TrackedSerial(serial.Serial):  # type: ignore[misc]
        def close(self) -> None:
            super().close()
            loop.call_soon_threadsafe(closed.set)

    calls = 0

    def opener(config: SerialPortSettings) -> serial.Serial:
        nonlocal calls
        calls += 1
        if calls == 1:
            release.wait(10)  # a driver that hangs (in the executor, not the loop)
        return TrackedSerial(port=config.port, timeout=0, write_timeout=0)

    manager = SerialPortManager(gw, port_settings(port_config(device)), opener=opener)
    changes: list[bool] = []
    manager.async_add_availability_listener(changes.append)
    try:
        await manager.async_start()
        assert not manager.available
        assert "did not return in time" in caplog.text
        release.set()
        await asyncio.wait_for(closed.wait(), 10)  # the late port is closed, not leaked
        clock.advance(BACKOFF_MAXIMUM)
        await gw.async_block_till_done()
        assert manager.available
        assert changes == [True]
    finally:
        release.set()
        await manager.async_stop()


async def test_permission_denied_hints_at_the_dialout_group(
    tmp_path: Path, gw: Gateway, caplog: pytest.LogCaptureFixture
) -> None:
    def opener(config: SerialPortSettings) -> serial.Serial:
        raise serial.SerialException(13, f"could not open port {config.port}: Permission denied")

    manager = SerialPortManager(
        gw, SerialPortSettings(name="p", port="/dev/ttyAMA0"), opener=opener
    )
    await manager.async_start()
    await manager.async_stop()
    assert "(is the user in the dialout group?)" in caplog.text
