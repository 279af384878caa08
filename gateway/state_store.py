"""Small JSON state files in `state_dir`: last output states, counter totals.

Writes are atomic (temporary file in the same folder, fsync, rename, fsync of the folder), so a
power cut leaves either the old or the new file, never a torn one. Reads and writes block and
run in the executor; `StateFile` coalesces writes so that at most one is in flight and the
last value always reaches the disk.

A folder that cannot be written (wrong owner, a path under a regular file) must not flood the
log: `StateDir` records whether it can be written (checked once at start, then updated by every
write), and a `StateFile` logs its first failure as one WARNING, the rest at DEBUG until a write
succeeds again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import pwd
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from .core import Gateway, callback
from .event import async_call_later
from .gateway_data import DataKey

__all__ = [
    "DATA_STATE_DIR",
    "StateDir",
    "StateFile",
    "async_state_dir",
    "read_json",
    "write_json_atomic",
]

_LOGGER = logging.getLogger(__name__)


def read_json(path: Path) -> dict[str, Any] | None:
    """The file's JSON object, or None when it is missing or unreadable (logged). Blocking."""
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):  # a folder under a file holds no files
        return None
    except OSError as exc:
        _LOGGER.warning("Cannot read state file %s: %s", path, exc)
        return None
    try:
        data = json.loads(text)
    except ValueError as exc:
        _LOGGER.warning("Ignoring corrupt state file %s: %s", path, exc)
        return None
    if not isinstance(data, dict):
        _LOGGER.warning("Ignoring state file %s: not a JSON object", path)
        return None
    return data


def write_json_atomic(path: Path, data: Mapping[str, object]) -> None:
    """Write `data` as JSON to `path` atomically. Blocking; raises OSError."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as tmp:
            json.dump(data, tmp, separators=(",", ":"), sort_keys=True)
            tmp.flush()
            os.fsync(tmp.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


@dataclass(slots=True)
class StateDir:
    """The state folder and whether it can be written: None until checked."""

    path: Path
    writable: bool | None = None
    error: str | None = None

    def check(self) -> bool:
        """Create the folder if needed and a file in it. Blocking; returns `writable`."""
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(prefix=".write-check.", dir=self.path)
            os.close(fd)
            os.unlink(name)
        except OSError as exc:
            self.writable, self.error = False, _describe(exc)
        else:
            self.writable, self.error = True, None
        return self.writable

    def as_dict(self) -> dict[str, Any]:
        return {"path": str(self.path), "writable": self.writable, "error": self.error}


def _describe(exc: OSError) -> str:
    """`Not a directory: '/x/y'`: the reason and the path it concerns, without the errno."""
    reason = exc.strerror or str(exc)
    return f"{reason}: {exc.filename!r}" if exc.filename else reason


class StateFile:
    """One JSON state file, loaded and saved in the executor, with coalesced writes.

    `async_save(data)` never blocks the loop: it remembers `data` and starts a write unless one
    is already in flight; after that write, the latest remembered data is written once more.
    `min_interval` spaces writes out (counters: fewer writes to an SD card); `async_flush`
    writes the pending data now (call it on stop).
    """

    def __init__(
        self,
        gw: Gateway,
        path: Path,
        *,
        min_interval: float = 0.0,
        state_dir: StateDir | None = None,
    ) -> None:
        self._gw = gw
        self.path = path
        self._state_dir = state_dir
        self._failing = False
        self._min_interval = min_interval
        self._pending: Mapping[str, object] | None = None
        self._write_task: asyncio.Task[None] | None = None
        self._last_write = float("-inf")
        self._cancel_timer: Callable[[], None] | None = None
        self.writes = 0

    async def async_load(self) -> dict[str, Any] | None:
        """The stored object, or None (missing or corrupt)."""
        return await self._gw.async_add_executor_job(read_json, self.path)

    @callback
    def async_save(self, data: Mapping[str, object]) -> None:
        """Schedule writing `data` (a JSON-able mapping the caller no longer mutates)."""
        self._pending = data
        if self._write_task is not None or self._cancel_timer is not None:
            return
        wait = self._last_write + self._min_interval - self._gw.clock.time()
        if wait > 0:
            self._cancel_timer = async_call_later(self._gw, wait, self._async_timer_fired)
            return
        self._async_start_write()

    @callback
    def _async_timer_fired(self, _now: float) -> None:
        self._cancel_timer = None
        if self._write_task is None and self._pending is not None:
            self._async_start_write()

    @callback
    def _async_start_write(self) -> None:
        self._write_task = self._gw.async_create_task(
            self._async_write(), name=f"write {self.path.name}"
        )

    async def _async_write(self) -> None:
        try:
            while self._pending is not None:
                data, self._pending = self._pending, None
                self._last_write = self._gw.clock.time()
                try:
                    await self._gw.async_add_executor_job(write_json_atomic, self.path, data)
                    self.writes += 1
                except OSError as exc:
                    self._async_write_failed(exc)
                else:
                    self._async_write_succeeded()
                if self._min_interval > 0 and self._pending is not None:
                    self._async_arm_timer()
                    return
        finally:
            self._write_task = None

    @callback
    def _async_write_failed(self, exc: OSError) -> None:
        """Log the first failure (unless the folder is already known to be unwritable)."""
        known = self._state_dir is not None and self._state_dir.writable is False
        level = logging.DEBUG if self._failing or known else logging.WARNING
        _LOGGER.log(
            level,
            "Cannot write state file %s: %s (not logged again until a write succeeds)",
            self.path,
            _describe(exc),
        )
        self._failing = True
        if self._state_dir is not None:
            self._state_dir.writable, self._state_dir.error = False, _describe(exc)

    @callback
    def _async_write_succeeded(self) -> None:
        if self._failing:
            _LOGGER.info("State file %s written again", self.path)
            self._failing = False
        if self._state_dir is not None and self._state_dir.writable is False:
            self._state_dir.writable, self._state_dir.error = True, None

    @callback
    def _async_arm_timer(self) -> None:
        """Re-arm the interval timer for data that arrived during a write."""
        if self._cancel_timer is None and self._pending is not None:
            self._cancel_timer = async_call_later(
                self._gw, self._min_interval, self._async_timer_fired
            )

    async def async_flush(self) -> None:
        """Write pending data now and wait until it is on disk."""
        while True:
            if self._cancel_timer is not None:
                self._cancel_timer()
                self._cancel_timer = None
            if self._pending is None and self._write_task is None:
                return
            if self._write_task is None:
                self._async_start_write()
            assert self._write_task is not None
            await asyncio.shield(self._write_task)


DATA_STATE_DIR: Final[DataKey[StateDir]] = DataKey("state_dir")


async def async_state_dir(gw: Gateway, path: Path) -> StateDir:
    """The state folder's status, shared by everything that writes there; the first call
    checks it in the executor and warns once, with how to fix it, if it cannot be written."""
    known = gw.data.get(DATA_STATE_DIR)
    if known is not None and known.path == path:
        return known
    state_dir = StateDir(path)
    gw.data[DATA_STATE_DIR] = state_dir
    if not await gw.async_add_executor_job(state_dir.check):
        user = await gw.async_add_executor_job(_user_name)
        _LOGGER.warning(
            "State directory %s cannot be written (%s): outputs work, but last output states "
            "(initial: restore), counter totals and announced discovery ids will not be kept. "
            "Set gateway: {state_dir: ...} in the config (or, without it, the STATE_DIRECTORY "
            "environment variable, which systemd's StateDirectory= sets) to a directory "
            "user %s can write",
            path,
            state_dir.error,
            user,
        )
    return state_dir


def _user_name() -> str:
    """The effective user's name (blocking: may ask NSS)."""
    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        return str(os.geteuid())
