"""Debug mode: asyncio debug, slow-callback reports, and detection of blocking calls in the loop.

While enabled, a few well-known blocking functions are wrapped. Called from a thread that is
running an event loop, the wrapper names the offender (the first frame of our own code, else the
direct caller) and logs it, or raises `BlockingCallError` in strict mode (the test suite).
Anywhere else the wrapped function runs unchanged, at the cost of one C-level check.
"""

from __future__ import annotations

import asyncio
import builtins
import functools
import glob
import io
import logging
import os
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from typing import Any

from .exceptions import BlockingCallError

__all__ = ["enable_blocking_detection", "enable_debug"]

_LOGGER = logging.getLogger(__name__)
SLOW_CALLBACK_SECONDS = 0.05
_OUR_PACKAGES = (
    f"{os.sep}gateway{os.sep}",
    f"{os.sep}platforms{os.sep}",
    f"{os.sep}hardware{os.sep}",
)
_get_running_loop = asyncio.events._get_running_loop  # the C fast path


@dataclass(frozen=True, slots=True)
class _Target:
    owner: Any
    attribute: str
    label: str
    applies: Callable[..., bool] | None = None


def _blocking_socket(sock: socket.socket, *_args: Any, **_kwargs: Any) -> bool:
    return sock.gettimeout() != 0.0


def _opens_a_path(file: Any, *_args: Any, **_kwargs: Any) -> bool:
    """Wrapping an existing descriptor (subprocess pipes) does no file-system I/O."""
    return not isinstance(file, int)


def _serial_with_timeout(port: Any, *_args: Any, **_kwargs: Any) -> bool:
    return bool(port.timeout != 0)


def _targets() -> list[_Target]:
    targets = [
        _Target(time, "sleep", "time.sleep"),
        _Target(builtins, "open", "open", _opens_a_path),
        _Target(io, "open", "io.open (pathlib read/write)", _opens_a_path),
        _Target(os, "listdir", "os.listdir"),
        _Target(os, "scandir", "os.scandir"),
        _Target(glob, "glob", "glob.glob"),
        _Target(socket.socket, "connect", "socket.connect", _blocking_socket),
        _Target(socket.socket, "recv", "socket.recv", _blocking_socket),
        _Target(socket.socket, "sendall", "socket.sendall", _blocking_socket),
    ]
    try:
        from serial.serialposix import Serial as PosixSerial
    except ImportError:  # pragma: no cover - pyserial is a dependency
        return targets
    targets += [
        _Target(PosixSerial, "open", "serial.Serial.open"),
        _Target(PosixSerial, "read", "serial.Serial.read", _serial_with_timeout),
    ]
    return targets


def _offender(frame: FrameType | None) -> str:
    """`file:line` of the first frame in our packages, else of the direct caller."""
    first: FrameType | None = None
    while frame is not None:
        filename = frame.f_code.co_filename
        if filename != __file__:
            first = first or frame
            if any(part in filename for part in _OUR_PACKAGES):
                return f"{_short(filename)}:{frame.f_lineno} ({frame.f_code.co_name})"
        frame = frame.f_back
    if first is None:
        return "unknown caller"
    return f"{_short(first.f_code.co_filename)}:{first.f_lineno} ({first.f_code.co_name})"


def _short(filename: str) -> str:
    for part in _OUR_PACKAGES:
        index = filename.rfind(part)
        if index >= 0:
            return filename[index + 1 :]
    return os.path.relpath(filename) if filename.startswith(os.getcwd()) else filename


def _wrap(target: _Target, original: Callable[..., Any], strict: bool) -> Callable[..., Any]:
    @functools.wraps(original)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if _get_running_loop() is not None and (
            target.applies is None or target.applies(*args, **kwargs)
        ):
            where = _offender(sys._getframe(1))
            message = (
                f"Detected blocking call to {target.label} inside the event loop by {where}; "
                "run it in the executor (gw.async_add_executor_job)"
            )
            if strict:
                raise BlockingCallError(message)
            _LOGGER.warning(message)
        return original(*args, **kwargs)

    return guarded


def enable_blocking_detection(*, strict: bool) -> Callable[[], None]:
    """Wrap the blocking functions; returns a function that restores the originals."""
    restore: list[tuple[Any, str, Any]] = []
    for target in _targets():
        original = getattr(target.owner, target.attribute)
        restore.append((target.owner, target.attribute, original))
        setattr(target.owner, target.attribute, _wrap(target, original, strict))

    def undo() -> None:
        for owner, attribute, original in reversed(restore):
            setattr(owner, attribute, original)

    return undo


def enable_debug(loop: asyncio.AbstractEventLoop, *, strict: bool = False) -> Callable[[], None]:
    """Turn on asyncio debug with the 50 ms slow-callback report and blocking-call detection."""
    loop.set_debug(True)
    loop.slow_callback_duration = SLOW_CALLBACK_SECONDS
    return enable_blocking_detection(strict=strict)
