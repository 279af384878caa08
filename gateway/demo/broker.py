"""A private MQTT broker on a free loopback port for `boardgate demo`.

A private `mosquitto` when one is installed (MQTT 5), else the embedded amqtt broker from the
`demo` extra (MQTT 3.1.1 only). Either listens on 127.0.0.1 only and keeps nothing on disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ..exceptions import GatewayError

__all__ = ["DemoBroker", "start_demo_broker"]

MOSQUITTO_PATHS = ("mosquitto", "/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto")
READY_TIMEOUT = 10.0


class DemoBroker(Protocol):
    port: int
    protocol: str
    name: str

    async def stop(self) -> None: ...


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def find_mosquitto() -> str | None:
    for candidate in MOSQUITTO_PATHS:
        if found := shutil.which(candidate):
            return found
    return None


@dataclass
class MosquittoBroker:
    process: asyncio.subprocess.Process
    folder: tempfile.TemporaryDirectory[str]
    port: int
    protocol: str = "5"
    name: str = "mosquitto"

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), 5)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        await asyncio.get_running_loop().run_in_executor(None, self.folder.cleanup)


@dataclass
class AmqttBroker:
    broker: Any
    port: int
    protocol: str = "3.1.1"
    name: str = "amqtt (embedded)"

    async def stop(self) -> None:
        await self.broker.shutdown()


async def start_demo_broker() -> DemoBroker:
    """Start a broker; raises GatewayError when neither kind is available."""
    port = free_port()
    binary = find_mosquitto()
    if binary is None:
        return await _start_amqtt(port)  # listening once start() returns
    broker = await _start_mosquitto(binary, port)
    await _wait_until_listening(port)
    return broker


async def _start_mosquitto(binary: str, port: int) -> MosquittoBroker:
    loop = asyncio.get_running_loop()
    folder = tempfile.TemporaryDirectory(prefix="boardgate-demo-")
    conf = Path(folder.name) / "mosquitto.conf"
    text = (
        f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
        "set_tcp_nodelay true\nlog_dest stderr\nlog_type error\nlog_type warning\n"
    )
    await loop.run_in_executor(None, conf.write_text, text)
    # A session of its own: Ctrl-C in the terminal reaches the whole foreground process group,
    # and the broker must outlive the gateway's clean stop (which publishes `offline`).
    process = await asyncio.create_subprocess_exec(
        binary, "-c", str(conf), stdout=asyncio.subprocess.DEVNULL, start_new_session=True
    )
    return MosquittoBroker(process, folder, port)


async def _start_amqtt(port: int) -> AmqttBroker:
    try:
        from amqtt.broker import Broker
    except ImportError:
        raise GatewayError(
            "the demo needs a local MQTT broker: install mosquitto "
            "(apt-get install mosquitto) or the embedded one (pip install 'boardgate[demo]')"
        ) from None
    broker = Broker(
        {
            "listeners": {"default": {"type": "tcp", "bind": f"127.0.0.1:{port}"}},
            "plugins": {
                "amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}
            },
        }
    )
    await broker.start()
    return AmqttBroker(broker, port)


async def _wait_until_listening(port: int) -> None:
    """Connect until the broker accepts (bounded); raises GatewayError otherwise."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + READY_TIMEOUT
    delay = 0.01
    while True:
        with contextlib.suppress(OSError):
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
            return
        if loop.time() > deadline:
            raise GatewayError(f"the demo broker did not start listening on port {port}")
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.2)
