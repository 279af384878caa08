"""A register-level simulated I²C bus: `hardware.i2c.I2CBus` without a kernel.

Each address holds a `SimDevice` that sees the bus as a part does: write transactions (the
first byte is usually a register pointer) and read transactions. `RegisterDevice` stores every
write in its register image and answers reads from it with an auto-incrementing pointer (unset
registers read 0x00); the named models of `i2c_devices` build on it. An address with no device
NACKs: `OSError(121)`, as smbus2 raises. Faults for tests: `vanish`/`restore` an address,
`fail` it with another errno, `hang` it until `release`.
"""

from __future__ import annotations

import errno
import os
import threading
from collections.abc import Mapping, Sequence
from typing import Final

__all__ = ["RegisterDevice", "SimDevice", "SimulatedI2CBus"]

HANG_LIMIT: Final = 60.0  # a hung read gives up by itself after this (no thread left behind)


class SimDevice:
    """A part on the simulated bus: override `write` and `read`."""

    def write(self, data: bytes) -> None:
        """One write transaction (START, address+W, `data`, STOP)."""

    def read(self, length: int) -> bytes:
        """One read transaction of `length` bytes."""
        return bytes(length)


class RegisterDevice(SimDevice):
    """A register image: writes set the pointer then store bytes, reads auto-increment."""

    def __init__(self, registers: Mapping[int, int] | None = None) -> None:
        self.registers: dict[int, int] = dict(registers or {})
        self.pointer = 0
        self.lock = threading.RLock()

    def write(self, data: bytes) -> None:
        if not data:
            return
        with self.lock:
            self.pointer = data[0]
            for value in data[1:]:
                self.store(self.pointer, value)
                self.pointer = (self.pointer + 1) & 0xFF

    def read(self, length: int) -> bytes:
        with self.lock:
            values = []
            for _ in range(length):
                values.append(self.load(self.pointer) & 0xFF)
                self.pointer = (self.pointer + 1) & 0xFF
            return bytes(values)

    def store(self, register: int, value: int) -> None:
        """A byte written to `register` (models react here)."""
        self.registers[register] = value

    def load(self, register: int) -> int:
        """The byte a read of `register` returns (unset: 0x00)."""
        return self.registers.get(register, 0)

    def set_block(self, register: int, data: Sequence[int]) -> None:
        """Put `data` into consecutive registers from `register`."""
        with self.lock:
            for offset, value in enumerate(data):
                self.registers[register + offset] = value & 0xFF


class SimulatedI2CBus:
    """Devices by address; every call blocks as a real bus does (the executor calls it)."""

    def __init__(self, name: str = "sim", devices: Mapping[int, SimDevice] | None = None):
        self.name = name
        self.devices: dict[int, SimDevice] = dict(devices or {})
        self._vanished: set[int] = set()
        self._errors: dict[int, int] = {}
        self._hung: dict[int, threading.Event] = {}
        self.transactions = 0
        self.closed = False

    # --- faults -------------------------------------------------------------------------

    def add(self, address: int, device: SimDevice) -> SimDevice:
        self.devices[address] = device
        return device

    def vanish(self, address: int) -> None:
        """Unplug the part: it NACKs (errno 121) until `restore`."""
        self._vanished.add(address)

    def restore(self, address: int) -> None:
        """Plug it back in and clear `fail`."""
        self._vanished.discard(address)
        self._errors.pop(address, None)

    def fail(self, address: int, code: int = errno.EIO) -> None:
        """Make every transaction with `address` raise OSError(code) until `restore`."""
        self._errors[address] = code

    def hang(self, address: int) -> None:
        """The next transactions with `address` block until `release` (a stuck bus)."""
        self._hung.setdefault(address, threading.Event())

    def release(self, address: int) -> None:
        event = self._hung.pop(address, None)
        if event is not None:
            event.set()

    def _device(self, address: int) -> SimDevice:
        self.transactions += 1
        if (event := self._hung.get(address)) is not None:
            event.wait(HANG_LIMIT)
        if (code := self._errors.get(address)) is not None:
            raise OSError(code, os.strerror(code))
        device = self.devices.get(address)
        if device is None or address in self._vanished:
            raise OSError(errno.EREMOTEIO, os.strerror(errno.EREMOTEIO))
        return device

    # --- the I2CBus Protocol ------------------------------------------------------------

    def write_quick(self, i2c_addr: int) -> None:
        self._device(i2c_addr)

    def read_byte(self, i2c_addr: int) -> int:
        return self._device(i2c_addr).read(1)[0]

    def write_byte(self, i2c_addr: int, value: int) -> None:
        self._device(i2c_addr).write(bytes([value & 0xFF]))

    def read_byte_data(self, i2c_addr: int, register: int) -> int:
        device = self._device(i2c_addr)
        device.write(bytes([register]))
        return device.read(1)[0]

    def write_byte_data(self, i2c_addr: int, register: int, value: int) -> None:
        self._device(i2c_addr).write(bytes([register, value & 0xFF]))

    def read_i2c_block_data(self, i2c_addr: int, register: int, length: int) -> list[int]:
        device = self._device(i2c_addr)
        device.write(bytes([register]))
        return list(device.read(length))

    def write_i2c_block_data(self, i2c_addr: int, register: int, data: Sequence[int]) -> None:
        self._device(i2c_addr).write(bytes([register, *(value & 0xFF for value in data)]))

    def read_bytes(self, i2c_addr: int, length: int) -> bytes:
        return self._device(i2c_addr).read(length)

    def close(self) -> None:
        """Buses are reopened after errors: the simulated one just keeps its devices."""
        self.closed = True
        for address in list(self._hung):
            self.release(address)
