"""Remove the Homie device from the broker once the `homie:` section is gone from the config.

Bootstrap loads this only when `state_dir/homie.json` (the record `homie` keeps) exists and
the config has no `homie:` section. It connects as `<client_id>-homie`, removes the device as
the convention says (the retained `$state` first, so that controllers forget the device, then
`$description` and every value and alert topic it had), deletes the record, and disconnects.
A broker that is away only delays this: it happens on the first connection.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiomqtt

from ...core import Gateway
from ...state_store import read_json
from ..models import PublishMessage, ReceiveMessage
from .convention_link import ConventionLink

if TYPE_CHECKING:
    from ...config.model import CoreConfig, MqttConfig

__all__ = ["HomieRemoval", "async_setup"]

_LOGGER = logging.getLogger(__name__)
STORE_FILE = "homie.json"


class HomieRemoval:
    """A one-session `LinkSession` that clears the device's retained topics."""

    def __init__(self, gw: Gateway, config: MqttConfig, store: Path, record: dict[str, Any]):
        self.gw = gw
        self.store = store
        self.base = str(record["base"])
        self.topics = [str(topic) for topic in record.get("topics", [])]
        self.qos = config.qos
        self.link = ConventionLink(gw, config, "homie", self)

    async def async_prepare(self) -> None:
        pass

    def will(self) -> aiomqtt.Will | None:
        return None

    async def async_begin(self, link: ConventionLink) -> None:
        topics = [f"{self.base}/$state", f"{self.base}/$description", *self.topics]
        first, last = topics[:-1], topics[-1]
        for topic in first:
            link.async_publish(topic, b"", self.qos, True)
        # Its acknowledgement means the broker has every clear (they are sent in order).
        await link.async_publish_acknowledged(last, b"", True)
        await self.gw.async_add_executor_job(self.store.unlink, True)
        _LOGGER.info("Removed the Homie device %s (no homie: section any more)", self.base)
        link.async_stop()

    def async_goodbye(self) -> Iterable[PublishMessage]:
        return ()

    def async_on_message(self, message: ReceiveMessage) -> None:
        pass

    def async_lost(self) -> None:
        pass


async def async_setup(gw: Gateway, core: CoreConfig, config: MqttConfig) -> None:
    store = Path(core.state_dir) / STORE_FILE
    record = await gw.async_add_executor_job(read_json, store)
    if not isinstance(record, dict) or "base" not in record:
        return  # nothing recorded that could be removed (or a record of an older version)
    HomieRemoval(gw, config, store, record).link.async_start()
