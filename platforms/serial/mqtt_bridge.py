"""The serial bridge: every received frame out, every payload sent in written to the port.

`SerialBridge` knows nothing of MQTT: it is given a `publish(payload)` callable and offers
`async_handle_tx(payload)`. `async_setup_mqtt_bridge` connects it to
`<base_topic>/<node_id>/serial/<id>/rx` (published, not retained, at the port's `qos`) and
`.../tx` (subscribed at QoS 1; retained payloads are ignored, like every command).

Frames are published as text: decoded in the port's encoding (invalid bytes become U+FFFD)
and sent as UTF-8; `hex` ports publish hexadecimal digits. A tx payload is written with the
delimiter appended, in arrival order, through the port's bounded write queue (drops are
counted in `SerialPortManager.stats.writes_dropped`).

While the MQTT connection is backed up, the bridge stops reading the port until it has room
again (or is lost): frames then wait at the device instead of being dropped from a full
outbox, and memory stays bounded. While the broker is away the port is read as usual (its
serial sensors go on updating) and rx frames take their chance in the bounded outbox.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from gateway.core import Gateway, callback
from hardware.framing import FrameEncodingError, encode_payload
from hardware.serial_port import SerialPortManager

__all__ = ["BridgeStats", "SerialBridge", "async_setup_mqtt_bridge", "bridge_topics"]

_LOGGER = logging.getLogger(__name__)

Publish = Callable[[bytes], None]


@dataclass(slots=True)
class BridgeStats:
    published: int = 0
    written: int = 0
    invalid: int = 0
    dropped: int = 0
    retained_ignored: int = 0


class SerialBridge:
    """Connects one port to a publish callable and a tx entry point (loop only)."""

    def __init__(self, manager: SerialPortManager, publish: Publish) -> None:
        self.manager = manager
        self.stats = BridgeStats()
        self._publish = publish
        self._remove: Callable[[], None] | None = None
        self._on_stop: list[Callable[[], None]] = []
        self._invalid_logged = False

    @callback
    def async_start(self) -> None:
        """Start publishing frames."""
        if self._remove is None:
            self._remove = self.manager.async_add_frame_listener(self._async_frame)

    @callback
    def async_stop(self) -> None:
        """Stop publishing frames and run the `async_on_stop` removers."""
        if self._remove is not None:
            self._remove()
            self._remove = None
        while self._on_stop:
            self._on_stop.pop()()

    @callback
    def async_on_stop(self, remover: Callable[[], None]) -> None:
        """Call `remover` (e.g. an unsubscribe) when the bridge stops."""
        self._on_stop.append(remover)

    @callback
    def async_handle_tx(self, payload: bytes) -> bool:
        """Write `payload` plus the delimiter; False when it was invalid or dropped."""
        settings = self.manager.settings
        try:
            data = encode_payload(payload, settings.encoding)
        except FrameEncodingError as exc:
            self.stats.invalid += 1
            if not self._invalid_logged:
                self._invalid_logged = True
                _LOGGER.warning(
                    "Serial port %s: ignoring a tx payload that is not valid %s (%s)",
                    settings.name,
                    "hexadecimal" if settings.encoding == "hex" else "UTF-8 text for the port",
                    exc,
                )
            return False
        if self.manager.async_write(data + self.manager.delimiter):
            self.stats.written += 1
            return True
        self.stats.dropped += 1
        return False

    @callback
    def _async_frame(self, frame: bytes) -> None:
        self._publish(self.manager.decode(frame).encode("utf-8"))
        self.stats.published += 1


def bridge_topics(node_base: str, port_id: str) -> tuple[str, str]:
    """`(rx, tx)` topics for a port under `<base_topic>/<node_id>`."""
    return f"{node_base}/serial/{port_id}/rx", f"{node_base}/serial/{port_id}/tx"


@callback
class _RxPacer:
    """Publishes rx frames; while the connection is backed up, holds the frames of the read
    in hand and stops reading the port until the connection has room, is lost or stops.

    What is held is at most one read's frames: the port is paused as soon as one is held."""

    def __init__(self, gw: Gateway, manager: SerialPortManager, topic: str, qos: int) -> None:
        self._gw = gw
        self._manager = manager
        self._topic = topic
        self._qos = qos
        self._held: deque[bytes] = deque()

    @callback
    def async_publish(self, payload: bytes) -> None:
        from gateway import mqtt

        if self._held or mqtt.async_backed_up(self._gw):
            if not self._held:
                self._manager.async_pause_reading()
                mqtt.async_when_writable(self._gw, self.async_flush)
            self._held.append(payload)
            return
        mqtt.async_publish(self._gw, self._topic, payload, qos=self._qos, retain=False)

    @callback
    def async_flush(self) -> None:
        """Publish what is held while there is room; read the port again once all is out."""
        from gateway import mqtt

        while self._held:
            if mqtt.async_backed_up(self._gw):
                mqtt.async_when_writable(self._gw, self.async_flush)
                return
            payload = self._held.popleft()
            mqtt.async_publish(self._gw, self._topic, payload, qos=self._qos, retain=False)
        self._manager.async_resume_reading()


def async_setup_mqtt_bridge(gw: Gateway, manager: SerialPortManager, *, qos: int) -> SerialBridge:
    """Bridge `manager` over MQTT, publishing at `qos`; returns the started bridge.

    Raises GatewayError when MQTT is not set up. The subscription is removed by
    `SerialBridge.async_stop`.
    """
    from gateway import mqtt  # the MQTT integration is optional for the serial component

    data = mqtt.get_data(gw)
    rx_topic, tx_topic = bridge_topics(data.node_base, manager.settings.name)

    pacer = _RxPacer(gw, manager, rx_topic, qos)

    bridge = SerialBridge(manager, pacer.async_publish)
    bridge.async_on_stop(pacer.async_flush)  # serial sensors on the port go on reading
    retained_logged = False

    @callback
    def on_tx(message: mqtt.ReceiveMessage) -> None:
        nonlocal retained_logged
        if message.retain:
            bridge.stats.retained_ignored += 1
            if not retained_logged:
                retained_logged = True
                _LOGGER.warning(
                    "Ignoring a retained message on %s: it would be written at every restart",
                    tx_topic,
                )
            return
        bridge.async_handle_tx(message.payload)

    bridge.async_on_stop(mqtt.async_subscribe(gw, tx_topic, on_tx, qos=1))
    bridge.async_start()
    return bridge
