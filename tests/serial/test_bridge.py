"""The serial bridge without MQTT: frames out through a publish callable, payloads in."""

from __future__ import annotations

import asyncio

import pytest

from gateway.clock import FakeClock
from hardware.serial_port import BACKOFF_MAXIMUM, SerialPortManager
from platforms.serial.mqtt_bridge import SerialBridge, bridge_topics
from tests.helpers import Waiters
from tests.serial.conftest import MakeManager, PortRecorder, PtyDevice, port_config

pytestmark = pytest.mark.timeout(60)


class Published:
    def __init__(self) -> None:
        self.payloads: list[bytes] = []
        self.waiters = Waiters()

    def __call__(self, payload: bytes) -> None:
        self.payloads.append(payload)
        self.waiters.check()

    async def wait(self, count: int) -> None:
        await self.waiters.wait(lambda: len(self.payloads) >= count, f"{count} publishes")


async def make_bridge(
    make_manager: MakeManager, device: PtyDevice, **overrides: object
) -> tuple[SerialBridge, Published, SerialPortManager, PortRecorder]:
    published = Published()
    manager, recorder = await make_manager(port_config(device, bridge=True, **overrides))
    bridge = SerialBridge(manager, published)
    bridge.async_start()
    return bridge, published, manager, recorder


def test_topics() -> None:
    assert bridge_topics("boardgate/garage-pi", "modem") == (
        "boardgate/garage-pi/serial/modem/rx",
        "boardgate/garage-pi/serial/modem/tx",
    )


async def test_each_frame_is_published(device: PtyDevice, make_manager: MakeManager) -> None:
    bridge, published, _, recorder = await make_bridge(make_manager, device)
    await device.write(b"+CSQ: 21,0\r\nOK\r\n\xffbad\n")
    await published.wait(3)
    assert published.payloads == [b"+CSQ: 21,0", b"OK", "\ufffdbad".encode()]
    assert bridge.stats.published == 3
    bridge.async_stop()
    await device.write(b"after stop\n")
    await recorder.wait_frames(4)
    assert len(published.payloads) == 3


async def test_hex_port_publishes_hex_digits(device: PtyDevice, make_manager: MakeManager) -> None:
    _, published, _, _ = await make_bridge(make_manager, device, encoding="hex", delimiter="\r\n")
    await device.write(b"\x00\x01\xfe\r\n")
    await published.wait(1)
    assert published.payloads == [b"0001fe"]


async def test_tx_payloads_are_written_with_the_delimiter_in_order(
    device: PtyDevice, make_manager: MakeManager
) -> None:
    bridge, _, _, _ = await make_bridge(make_manager, device, delimiter="\r\n")
    for index in range(200):
        assert bridge.async_handle_tx(b"AT+%d" % index)
    expected = b"".join(b"AT+%d\r\n" % index for index in range(200))
    await device.wait_received(lambda got: len(got) >= len(expected), "all tx payloads")
    assert bytes(device.received) == expected
    assert bridge.stats.written == 200


async def test_tx_on_a_hex_port(device: PtyDevice, make_manager: MakeManager) -> None:
    bridge, _, _, _ = await make_bridge(make_manager, device, encoding="hex", delimiter=";")
    assert bridge.async_handle_tx(b"01 ff")
    await device.wait_received(lambda got: got == b"\x01\xff;", "hex bytes")


async def test_invalid_tx_payloads_are_counted_and_logged_once(
    device: PtyDevice, make_manager: MakeManager, caplog: pytest.LogCaptureFixture
) -> None:
    bridge, _, _, _ = await make_bridge(make_manager, device, encoding="hex")
    assert not bridge.async_handle_tx(b"not hex")
    assert not bridge.async_handle_tx(b"zz")
    assert bridge.stats.invalid == 2
    assert caplog.text.count("ignoring a tx payload") == 1


async def test_tx_back_pressure_drops_and_counts(
    device: PtyDevice, make_manager: MakeManager
) -> None:
    published = Published()
    manager, _ = await make_manager(port_config(device, bridge=True), write_queue_bytes=4096)
    bridge = SerialBridge(manager, published)
    loop = asyncio.get_running_loop()
    loop.remove_reader(device.master)  # a device that stopped reading
    accepted = []
    for index in range(5000):
        payload = b"%04d" % index + b"." * 200
        if bridge.async_handle_tx(payload):
            accepted.append(payload + b"\n")
        if index % 100 == 0:
            await asyncio.sleep(0)
    assert bridge.stats.dropped > 0
    assert bridge.stats.dropped + bridge.stats.written == 5000
    assert manager.stats.writes_dropped == bridge.stats.dropped
    expected = b"".join(accepted)
    loop.add_reader(device.master, device._readable)
    await device.wait_received(lambda got: len(got) >= len(expected), "accepted payloads")
    assert bytes(device.received) == expected


async def test_bridge_survives_unplug_and_replug(
    device: PtyDevice, make_manager: MakeManager, clock: FakeClock
) -> None:
    bridge, published, manager, recorder = await make_bridge(make_manager, device)
    device.unplug()
    await recorder.wait_available(manager, False)
    assert not bridge.async_handle_tx(b"lost")
    device.plug()
    clock.advance(BACKOFF_MAXIMUM)
    await recorder.wait_available(manager, True)
    assert bridge.async_handle_tx(b"hello")
    await device.wait_received(lambda got: got == b"hello\n", "tx after replug")
    await device.write(b"world\n")
    await published.wait(1)
    assert published.payloads == [b"world"]
