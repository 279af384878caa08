"""The I²C bus seam: `I2CBus` (smbus2's method signatures, plus a plain read), and `BusHandle`,
which opens a bus lazily and lets one thread at a time use it.

Every call here blocks (an ioctl on `/dev/i2c-N`, or a simulated part that may be told to hang)
and runs in the executor. A transaction sequence of a driver (write a command, wait, read the
result) holds the bus's lock from start to end, so two sensors on one bus never interleave,
while sensors on other buses go on. `OSError` from the kernel (errno 121 when nothing
acknowledges, 5 on some adapters) becomes `I2CBusError`; the bus is reopened on the next use.
"""

from __future__ import annotations

import contextlib
import errno as errno_codes
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Protocol, runtime_checkable

from .errors import I2CBusError

__all__ = ["BusHandle", "I2CBus", "Smbus2Bus", "open_smbus2"]


@runtime_checkable
class I2CBus(Protocol):
    """The calls drivers make: a subset of `smbus2.SMBus`, plus `read_bytes` (a plain read,
    for parts without registers such as the SHT4x). All block; all raise `OSError`."""

    def write_quick(self, i2c_addr: int) -> None: ...
    def read_byte(self, i2c_addr: int) -> int: ...
    def write_byte(self, i2c_addr: int, value: int) -> None: ...
    def read_byte_data(self, i2c_addr: int, register: int) -> int: ...
    def write_byte_data(self, i2c_addr: int, register: int, value: int) -> None: ...
    def read_i2c_block_data(self, i2c_addr: int, register: int, length: int) -> list[int]: ...
    def write_i2c_block_data(self, i2c_addr: int, register: int, data: Sequence[int]) -> None: ...
    def read_bytes(self, i2c_addr: int, length: int) -> bytes: ...
    def close(self) -> None: ...


class Smbus2Bus:
    """`/dev/i2c-<number>` through smbus2 (imported here only: buses are optional)."""

    def __init__(self, number: int) -> None:
        from smbus2 import SMBus

        self._bus = SMBus(number)

    def write_quick(self, i2c_addr: int) -> None:
        self._bus.write_quick(i2c_addr)

    def read_byte(self, i2c_addr: int) -> int:
        return self._bus.read_byte(i2c_addr)

    def write_byte(self, i2c_addr: int, value: int) -> None:
        self._bus.write_byte(i2c_addr, value)

    def read_byte_data(self, i2c_addr: int, register: int) -> int:
        return self._bus.read_byte_data(i2c_addr, register)

    def write_byte_data(self, i2c_addr: int, register: int, value: int) -> None:
        self._bus.write_byte_data(i2c_addr, register, value)

    def read_i2c_block_data(self, i2c_addr: int, register: int, length: int) -> list[int]:
        return self._bus.read_i2c_block_data(i2c_addr, register, length)

    def write_i2c_block_data(self, i2c_addr: int, register: int, data: Sequence[int]) -> None:
        self._bus.write_i2c_block_data(i2c_addr, register, list(data))

    def read_bytes(self, i2c_addr: int, length: int) -> bytes:
        from smbus2 import i2c_msg

        message = i2c_msg.read(i2c_addr, length)
        self._bus.i2c_rdwr(message)
        return bytes(message)

    def close(self) -> None:
        self._bus.close()


def open_smbus2(number: int) -> Callable[[], I2CBus]:
    """An opener for `BusHandle`: `/dev/i2c-<number>`."""
    return lambda: Smbus2Bus(number)


class BusHandle:
    """One bus: opened on first use, one transaction sequence at a time (`transaction()`).

    After a bus error the bus is closed and opened again on the next transaction (an adapter
    that went away, e.g. a USB one, comes back with a new file descriptor).
    """

    def __init__(self, name: str, opener: Callable[[], I2CBus]) -> None:
        self.name = name
        self._opener = opener
        self._bus: I2CBus | None = None
        self._lock = threading.Lock()

    @contextmanager
    def transaction(self) -> Iterator[I2CBus]:
        """Hold the bus for a sequence of calls; an OSError becomes I2CBusError. Blocking."""
        with self._lock:
            try:
                if self._bus is None:
                    self._bus = self._opener()
                yield self._bus
            except OSError as exc:
                self._drop()
                raise I2CBusError(describe_os_error(self.name, exc), exc.errno) from exc

    def _drop(self) -> None:
        bus, self._bus = self._bus, None
        if bus is not None:
            with contextlib.suppress(OSError):  # a broken descriptor is gone either way
                bus.close()

    def close(self) -> None:
        """Close the bus (idempotent). Blocking."""
        with self._lock:
            self._drop()


def describe_os_error(bus: str, exc: OSError) -> str:
    """One line for the log: what errno 121 or 5 usually means on I²C."""
    if exc.errno == errno_codes.EREMOTEIO:
        return f"bus {bus}: no acknowledge (errno 121): unplugged, wrong address or no pull-ups"
    if exc.errno == errno_codes.EIO:
        return f"bus {bus}: I/O error (errno 5): unplugged or a noisy bus"
    if exc.errno == errno_codes.ENOENT:
        return f"bus {bus}: no such device ({exc.filename}): enable I²C (dtparam=i2c_arm=on)"
    return f"bus {bus}: {exc.strerror or exc}"
