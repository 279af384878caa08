"""Named parts for the simulated I²C bus: each encodes the quantities it is given through the
part's own registers and conversion, so the real driver reads them back.

The encodings invert the drivers' datasheet conversions (the BME280's by bisection over its ADC
codes, since its compensation is monotonic); the drivers' own tests check those conversions
against the datasheets' worked examples, not against these models.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final, Protocol

from hardware.i2c import ads1x15, bme280, sht4x

from .i2c_bus import RegisterDevice, SimDevice, SimulatedI2CBus

__all__ = [
    "MODELS",
    "Ads1x15Model",
    "Bh1750Model",
    "Bme280Model",
    "Ina219Model",
    "Mcp23017Model",
    "Pcf857xModel",
    "Sht4xModel",
    "build_bus",
    "make_device",
]

# The BMP280 datasheet's example trimming values (§3.12), and typical BME280 humidity ones.
EXAMPLE_T: Final = (27504, 26435, -1000)
EXAMPLE_P: Final = (36477, -10685, 3024, 2855, 140, -7, 15500, -14600, 6000)
TYPICAL_H: Final = (75, 362, 0, 313, 50, 30)


def _bisect(convert: Callable[[int], float], target: float, low: int, high: int) -> int:
    """The code in [low, high] whose conversion is closest to `target` (monotonic `convert`)."""
    rising = convert(high) > convert(low)
    while high - low > 1:
        middle = (low + high) // 2
        if (convert(middle) < target) == rising:
            low = middle
        else:
            high = middle
    return low if abs(convert(low) - target) <= abs(convert(high) - target) else high


class Bme280Model(RegisterDevice):
    """A BME280 (chip id 0x60) or, with `chip_id=0x58`, a BMP280 at rest in sleep mode."""

    def __init__(
        self,
        temperature: float = 21.0,
        humidity: float = 45.0,
        pressure: float = 1013.25,
        chip_id: int = bme280.BME280_CHIP_ID,
    ) -> None:
        super().__init__()
        self.temperature, self.humidity, self.pressure = temperature, humidity, pressure
        self.chip_id = chip_id
        self.set_block(bme280.REG_CALIB_TP, struct.pack("<HhhHhhhhhhhh", *EXAMPLE_T, *EXAMPLE_P))
        h1, h2, h3, h4, h5, h6 = TYPICAL_H
        self.registers[0xA1] = h1
        self.set_block(
            bme280.REG_CALIB_H,
            [*struct.pack("<h", h2), h3, h4 >> 4, (h4 & 0x0F) | ((h5 & 0x0F) << 4), h5 >> 4, h6],
        )
        calibration = bytes(self.registers.get(bme280.REG_CALIB_TP + i, 0) for i in range(26))
        humid = bytes(self.registers.get(bme280.REG_CALIB_H + i, 0) for i in range(7))
        self.calibration = bme280.parse_calibration(calibration, h1, humid)

    def load(self, register: int) -> int:
        if register == bme280.REG_CHIP_ID:
            return self.chip_id
        return super().load(register)

    def store(self, register: int, value: int) -> None:
        super().store(register, value)
        if register == bme280.REG_CTRL_MEAS and value & 0b11:  # forced (or normal) mode
            self._convert()

    def _convert(self) -> None:
        cal = self.calibration
        adc_t = _bisect(lambda c: bme280.compensate_temperature(c, cal)[0], self.temperature,
                        0, 0xFFFFF)  # fmt: skip
        t_fine = bme280.compensate_temperature(adc_t, cal)[1]
        adc_p = _bisect(lambda c: bme280.compensate_pressure(c, t_fine, cal) / 100.0,
                        self.pressure, 0, 0xFFFFF)  # fmt: skip
        adc_h = _bisect(lambda c: bme280.compensate_humidity(c, t_fine, cal), self.humidity,
                        0, 0xFFFF)  # fmt: skip
        data = [adc_p >> 12, (adc_p >> 4) & 0xFF, (adc_p & 0xF) << 4,
                adc_t >> 12, (adc_t >> 4) & 0xFF, (adc_t & 0xF) << 4,
                adc_h >> 8, adc_h & 0xFF]  # fmt: skip
        self.set_block(bme280.REG_DATA, data if self.chip_id == bme280.BME280_CHIP_ID else data[:6])


class Bh1750Model(SimDevice):
    """A BH1750: reads return the count of `illuminance` (lx * 1.2)."""

    def __init__(self, illuminance: float = 300.0) -> None:
        self.illuminance = illuminance

    def read(self, length: int) -> bytes:
        count = max(0, min(0xFFFF, round(self.illuminance * 1.2)))
        return bytes([count >> 8, count & 0xFF])[:length]


class Sht4xModel(SimDevice):
    """An SHT4x: after a measure command, reads return T and RH with their CRCs."""

    def __init__(self, temperature: float = 21.0, humidity: float = 45.0) -> None:
        self.temperature, self.humidity = temperature, humidity
        self.corrupt_crc = False
        self._reply = b""

    def write(self, data: bytes) -> None:
        if data and data[0] in (0xFD, 0xF6, 0xE0):
            t = round((self.temperature + 45.0) * 65535.0 / 175.0)
            rh = round((self.humidity + 6.0) * 65535.0 / 125.0)
            self._reply = _word_crc(max(0, min(0xFFFF, t))) + _word_crc(max(0, min(0xFFFF, rh)))
            if self.corrupt_crc:
                self._reply = self._reply[:2] + bytes([self._reply[2] ^ 0xFF]) + self._reply[3:]

    def read(self, length: int) -> bytes:
        return self._reply[:length].ljust(length, b"\xff")


def _word_crc(word: int) -> bytes:
    data = bytes([word >> 8, word & 0xFF])
    return data + bytes([sht4x.crc8(data)])


class WordRegisterDevice(SimDevice):
    """16-bit big-endian registers (TI parts): a write sets the pointer and maybe one word;
    a read returns the pointed-to word."""

    def __init__(self, words: Mapping[int, int] | None = None) -> None:
        self.words: dict[int, int] = dict(words or {})
        self.pointer = 0

    def write(self, data: bytes) -> None:
        if not data:
            return
        self.pointer = data[0]
        if len(data) >= 3:
            self.store_word(self.pointer, (data[1] << 8) | data[2])

    def read(self, length: int) -> bytes:
        word = self.load_word(self.pointer)
        return bytes([word >> 8, word & 0xFF] * length)[:length]

    def store_word(self, register: int, word: int) -> None:
        self.words[register] = word

    def load_word(self, register: int) -> int:
        return self.words.get(register, 0)


class Ads1x15Model(WordRegisterDevice):
    """An ADS1115/ADS1015 with `voltages` on AIN0-3; a conversion completes at once."""

    def __init__(self, model: str = "ads1115", voltages: tuple[float, ...] = (0.0,) * 4):
        super().__init__({0x01: 0x8583})  # the config register's power-on value
        self.model = model
        self.voltages = list(voltages) + [0.0] * (4 - len(voltages))

    def store_word(self, register: int, word: int) -> None:
        if register != 0x01:
            return
        channel = ((word >> 12) & 0b111) - 0b100
        gain = next(g for g, bits in ads1x15.GAINS.items() if bits == (word >> 9) & 0b111)
        top = 2047 if self.model == "ads1015" else 32767
        volts = self.voltages[channel] if channel >= 0 else 0.0
        code = max(-top - 1, min(top, round(volts * (top + 1) / gain)))
        self.words[0x00] = (code << 4 if self.model == "ads1015" else code) & 0xFFFF
        self.words[0x01] = word | 0x8000  # OS: no conversion running


class Ina219Model(WordRegisterDevice):
    """An INA219 measuring `voltage` (bus) and `current` through `shunt_ohms`."""

    def __init__(self, voltage: float = 5.0, current: float = 0.5, shunt_ohms: float = 0.1):
        super().__init__({0x00: 0x399F})
        self.voltage, self.current, self.shunt_ohms = voltage, current, shunt_ohms

    def load_word(self, register: int) -> int:
        if register == 0x01:
            return round(self.current * self.shunt_ohms / 10e-6) & 0xFFFF
        if register == 0x02:
            return (round(self.voltage / 0.004) << 3) | 0b10  # CNVR set
        return super().load_word(register)


class Mcp23017Model(RegisterDevice):
    """An MCP23017 (IOCON.BANK = 0): pins A0-A7 = 0-7, B0-B7 = 8-15.

    `set_input(pin, level)` drives a pin from outside; `on_interrupt(asserted)` is called when
    INT changes (wire it to a board pin).
    """

    IODIR: Final = 0x00
    GPINTEN: Final = 0x04
    GPPU: Final = 0x0C
    INTCAP: Final = 0x10
    GPIO: Final = 0x12
    OLAT: Final = 0x14

    def __init__(self) -> None:
        super().__init__({0x00: 0xFF, 0x01: 0xFF})
        self.external = 0xFFFF  # what the outside drives (pull-ups: high)
        self.interrupt = False
        self.on_interrupt: Callable[[bool], None] | None = None

    def _word(self, register: int) -> int:
        return self.registers.get(register, 0) | (self.registers.get(register + 1, 0) << 8)

    def port(self) -> int:
        inputs = self._word(self.IODIR)
        return (self.external & inputs) | (self._word(self.OLAT) & ~inputs & 0xFFFF)

    def output_level(self, pin: int) -> bool:
        """The level an output pin drives."""
        return bool(self._word(self.OLAT) >> pin & 1)

    def set_input(self, pin: int, level: bool) -> None:
        with self.lock:
            before = self.port()
            self.external = self.external | (1 << pin) if level else self.external & ~(1 << pin)
            changed = (before ^ self.port()) & self._word(self.GPINTEN)
        if changed:
            self._set_interrupt(True)

    def load(self, register: int) -> int:
        if register in (self.GPIO, self.GPIO + 1, self.INTCAP, self.INTCAP + 1):
            self._set_interrupt(False)
            return self.port() >> (8 * (register & 1)) & 0xFF
        return super().load(register)

    def store(self, register: int, value: int) -> None:
        if register in (self.GPIO, self.GPIO + 1):
            register += self.OLAT - self.GPIO  # writing GPIO writes the latch
        super().store(register, value)

    def _set_interrupt(self, asserted: bool) -> None:
        if asserted != self.interrupt:
            self.interrupt = asserted
            if self.on_interrupt is not None:
                self.on_interrupt(asserted)


class Pcf857xModel(SimDevice):
    """A PCF8574 (8 pins) or PCF8575 (16): quasi-bidirectional, no registers.

    A pin reads low when the latch or the outside pulls it low; `set_input` drives from
    outside, `on_interrupt` reports INT (asserted on an input change, cleared by a read).
    """

    def __init__(self, pins: int = 8) -> None:
        self.pins = pins
        self.latch = (1 << pins) - 1
        self.external = (1 << pins) - 1
        self.interrupt = False
        self.on_interrupt: Callable[[bool], None] | None = None

    def port(self) -> int:
        return self.latch & self.external

    def output_level(self, pin: int) -> bool:
        return bool(self.latch >> pin & 1)

    def set_input(self, pin: int, level: bool) -> None:
        before = self.port()
        self.external = self.external | (1 << pin) if level else self.external & ~(1 << pin)
        if before != self.port():
            self._set_interrupt(True)

    def write(self, data: bytes) -> None:
        if data:
            self.latch = int.from_bytes(data[: self.pins // 8], "little")

    def read(self, length: int) -> bytes:
        self._set_interrupt(False)
        return self.port().to_bytes(self.pins // 8, "little")[:length].ljust(length, b"\xff")

    def _set_interrupt(self, asserted: bool) -> None:
        if asserted != self.interrupt:
            self.interrupt = asserted
            if self.on_interrupt is not None:
                self.on_interrupt(asserted)


def _ads(model: str) -> Callable[..., SimDevice]:
    def make(voltages: Any = (0.0,) * 4, **_: Any) -> SimDevice:
        return Ads1x15Model(model, tuple(voltages))

    return make


MODELS: Final[dict[str, Callable[..., SimDevice]]] = {
    "bme280": Bme280Model,
    "bmp280": lambda **values: Bme280Model(chip_id=0x58, **values),
    "bh1750": Bh1750Model,
    "sht4x": Sht4xModel,
    "ads1115": _ads("ads1115"),
    "ads1015": _ads("ads1015"),
    "ina219": Ina219Model,
    "mcp23017": lambda: Mcp23017Model(),
    "pcf8574": lambda: Pcf857xModel(8),
    "pcf8575": lambda: Pcf857xModel(16),
}


def make_device(
    model: str | None, values: Mapping[str, Any], registers: Mapping[int, Any] | None = None
) -> SimDevice:
    """A model with its quantities (`temperature=21.5`), or a raw register image."""
    device = MODELS[model](**values) if model is not None else RegisterDevice()
    if registers and isinstance(device, RegisterDevice):
        for register, value in registers.items():
            data = value if isinstance(value, list | tuple) else [value]
            device.set_block(register, data)
    return device


class DeviceSpec(Protocol):
    """One device of a `bus: simulated` entry (the config's `SimDeviceConfig` is one)."""

    @property
    def address(self) -> int: ...
    @property
    def model(self) -> str | None: ...
    @property
    def values(self) -> Mapping[str, Any]: ...
    @property
    def registers(self) -> Mapping[int, tuple[int, ...]]: ...


def build_bus(name: str, devices: Iterable[DeviceSpec]) -> SimulatedI2CBus:
    """A simulated bus with `devices` at their addresses."""
    bus = SimulatedI2CBus(name)
    for device in devices:
        bus.add(device.address, make_device(device.model, device.values, device.registers))
    return bus
