"""Registering paho's socket with the loop safely (and without a detour) for aiomqtt 2.5.

aiomqtt hands `loop.add_writer(fd, ...)` and `loop.add_reader(fd, ...)` to the loop with
`call_soon_threadsafe`, even when it is already running in the loop thread. When the connection
drops in between (a publish registers the writer, then the reader finds the socket closed),
the late `add_writer` meets a closed descriptor: asyncio logs an error, and a descriptor number
reused meanwhile would get the dead client's callback. The proxy below registers only while
the descriptor is still the client's socket, and does it at once in the loop thread, which also
saves a self-pipe wake-up and a loop iteration per publish burst.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import aiomqtt
import paho.mqtt.client as mqtt

__all__ = ["guard_socket_registration"]


class _GuardedLoop:
    """Stands in for the loop inside one aiomqtt client; everything else is delegated."""

    def __init__(self, loop: asyncio.AbstractEventLoop, paho: mqtt.Client) -> None:
        self._loop = loop
        self._paho = paho
        self._thread_id = threading.get_ident()
        self._registrations = (loop.add_reader, loop.add_writer)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loop, name)

    def call_soon_threadsafe(self, callback: Callable[..., Any], *args: Any) -> Any:
        if callback not in self._registrations:
            return self._loop.call_soon_threadsafe(callback, *args)
        if threading.get_ident() == self._thread_id:
            self._register_if_current(callback, *args)
            return None
        return self._loop.call_soon_threadsafe(self._register_if_current, callback, *args)

    def _register_if_current(self, register: Callable[..., Any], fd: int, *args: Any) -> None:
        sock = self._paho.socket()
        if sock is not None and sock.fileno() == fd:
            register(fd, *args)


def guard_socket_registration(client: aiomqtt.Client) -> None:
    """Install the guard on a new client (before it connects), in the event loop."""
    paho = client._client
    client._loop = _GuardedLoop(asyncio.get_running_loop(), paho)  # type: ignore[assignment]
