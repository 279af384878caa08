"""The serial bridge: every received frame out, every payload sent in written to the port.

`SerialBridge` knows nothing of MQTT: it is given a `publish(payload)` callable and offers
`async_handle_tx(payload)`. `async_setup_mqtt_bridge` connects it to
`<base_topic>/<node_id>/serial/<id>/rx` (published, not retained, at the port's `qos`) and
`.../tx` (subscribed at QoS 1; retained payloads are ignored, like every command).

Frames are published as text: decoded in the port's encoding (invalid bytes become U+FFFD)
and sent as UTF-8; `hex` ports publish hexadecimal digits. A tx payload is written with the
delimiter appended, in arrival order, through the port's bounded write queue (drops are
counted in `SerialPortManager.stats.writes_dropped`).
"""

from __future__ import annotations

import logging
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
def async_setup_mqtt_bridge(gw: Gateway, manager: SerialPortManager, *, qos: int) -> SerialBridge:
    """Bridge `manager` over MQTT, publishing at `qos`; returns the started bridge.

    Raises GatewayError when MQTT is not set up. The subscription is removed by
    `SerialBridge.async_stop`.
    """
    from gateway import mqtt  # the MQTT integration is optional for the serial component

    data = mqtt.get_data(gw)
    rx_topic, tx_topic = bridge_topics(data.node_base, manager.settings.name)

    @callback
    def publish(payload: bytes) -> None:
        mqtt.async_publish(gw, rx_topic, payload, qos=qos, retain=False)

    bridge = SerialBridge(manager, publish)
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
