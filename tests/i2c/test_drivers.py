"""The drivers' conversions against the datasheets' own worked examples, then each driver
against the simulated bus (faults included)."""

from __future__ import annotations

import errno

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hardware.i2c import BadChipId, BusHandle, CrcMismatch, I2CBusError, OutOfRange
from hardware.i2c.ads1x15 import Ads1x15, code_to_volts, config_word
from hardware.i2c.bh1750 import Bh1750, counts_to_lux
from hardware.i2c.bme280 import (
    Bme280,
    Calibration,
    compensate_humidity,
    compensate_pressure,
    compensate_temperature,
)
from hardware.i2c.ina219 import Ina219, bus_volts, shunt_volts
from hardware.i2c.sht4x import Sht4x, check_words, convert_humidity, convert_temperature, crc8
from hardware.sim.i2c_bus import SimulatedI2CBus
from hardware.sim.i2c_devices import (
    Ads1x15Model,
    Bh1750Model,
    Bme280Model,
    Ina219Model,
    Sht4xModel,
)

# BMP280 datasheet rev 1.19, §3.12 "Calculating pressure and temperature", table 16.
DATASHEET = Calibration(
    (27504, 26435, -1000), (36477, -10685, 3024, 2855, 140, -7, 15500, -14600, 6000)
)
ADC_T, ADC_P = 519888, 415148


def test_bmp280_datasheet_temperature_example() -> None:
    celsius, t_fine = compensate_temperature(ADC_T, DATASHEET)
    assert t_fine == pytest.approx(128422.2869, abs=5e-4)  # the table's t_fine
    assert round(celsius, 2) == 25.08


def test_bmp280_datasheet_pressure_example() -> None:
    _, t_fine = compensate_temperature(ADC_T, DATASHEET)
    assert round(compensate_pressure(ADC_P, t_fine, DATASHEET), 2) == 100653.27


def int32_temperature(adc_t: int, cal: Calibration) -> tuple[int, int]:
    """The datasheet's fixed-point formula (bmp280_compensate_T_int32)."""
    t1, t2, t3 = cal.t
    var1 = (((adc_t >> 3) - (t1 << 1)) * t2) >> 11
    var2 = (((((adc_t >> 4) - t1) * ((adc_t >> 4) - t1)) >> 12) * t3) >> 14
    t_fine = var1 + var2
    return (t_fine * 5 + 128) >> 8, t_fine


def int64_pressure(adc_p: int, t_fine: int, cal: Calibration) -> int:
    """The datasheet's bmp280_compensate_P_int64 (Q24.8 Pa)."""
    p1, p2, p3, p4, p5, p6, p7, p8, p9 = cal.p
    var1 = t_fine - 128000
    var2 = var1 * var1 * p6 + ((var1 * p5) << 17) + (p4 << 35)
    var1 = ((var1 * var1 * p3) >> 8) + ((var1 * p2) << 12)
    var1 = (((1 << 47) + var1) * p1) >> 33
    p = 1048576 - adc_p
    p = (((p << 31) - var2) * 3125) // var1
    var1 = (p9 * (p >> 13) * (p >> 13)) >> 25
    var2 = (p8 * p) >> 19
    return ((p + var1 + var2) >> 8) + (p7 << 4)


def test_datasheet_fixed_point_formulas_give_the_same_example() -> None:
    hundredths, t_fine = int32_temperature(ADC_T, DATASHEET)
    assert hundredths == 2508  # the datasheet's "T = 2508"
    pascal = int64_pressure(ADC_P, t_fine, DATASHEET) / 256  # Q24.8
    assert pascal == pytest.approx(100653.27, abs=0.05)


def int32_humidity(adc_h: int, t_fine: int, h: tuple[int, ...]) -> float:
    """BME280 datasheet §4.2.3 bme280_compensate_H_int32 (Q22.10 %RH)."""
    h1, h2, h3, h4, h5, h6 = h
    v = t_fine - 76800
    v = (((adc_h << 14) - (h4 << 20) - (h5 * v)) + 16384) >> 15
    v = v * (((((((t_fine - 76800) * h6) >> 10) * ((((t_fine - 76800) * h3) >> 11) + 32768))
               >> 10) + 2097152) * h2 + 8192 >> 14)  # fmt: skip
    v = v - (((((v >> 15) * (v >> 15)) >> 7) * h1) >> 4)
    v = min(max(v, 0), 419430400)
    return (v >> 12) / 1024.0


@pytest.mark.parametrize("adc_h", [20000, 26000, 30000, 36000, 42000])
def test_bme280_humidity_float_and_fixed_point_formulas_agree(adc_h: int) -> None:
    h = (75, 362, 0, 313, 50, 30)
    cal = Calibration(DATASHEET.t, DATASHEET.p, h)
    _, t_fine = int32_temperature(ADC_T, cal)
    expected = int32_humidity(adc_h, t_fine, h)
    assert compensate_humidity(adc_h, float(t_fine), cal) == pytest.approx(expected, abs=0.05)


def test_bh1750_datasheet_example() -> None:
    # datasheet p. 7: High Byte 1000_0011, Low Byte 1001_0000 -> 28067 lx
    assert round(counts_to_lux(0b1000_0011, 0b1001_0000)) == 28067


def test_sht4x_datasheet_crc_example_and_conversion_ends() -> None:
    assert crc8(bytes([0xBE, 0xEF])) == 0x92  # datasheet §4.4
    assert convert_temperature(0) == -45.0
    assert convert_temperature(65535) == 130.0
    assert convert_humidity(0) == 0.0  # -6 %, cropped
    assert convert_humidity(65535) == 100.0  # 119 %, cropped
    with pytest.raises(CrcMismatch):
        check_words(bytes([0xBE, 0xEF, 0x93, 0xBE, 0xEF, 0x92]))
    assert check_words(bytes([0xBE, 0xEF, 0x92, 0xBE, 0xEF, 0x92])) == (0xBEEF, 0xBEEF)


def test_ads1115_datasheet_codes() -> None:
    # SBAS444D table 3 (FSR ±4.096 V: LSB 125 µV) and table 4 (output codes)
    assert code_to_volts(0x0001, 4.096, "ads1115") == pytest.approx(125e-6)
    assert code_to_volts(0xFFFF, 4.096, "ads1115") == pytest.approx(-125e-6)
    assert code_to_volts(0x0000, 2.048, "ads1115") == 0.0
    with pytest.raises(OutOfRange):
        code_to_volts(0x7FFF, 4.096, "ads1115")  # +FS: saturated
    with pytest.raises(OutOfRange):
        code_to_volts(0x8000, 4.096, "ads1115")  # -FS
    # ADS1015 (SBAS473E table 3: FSR ±4.096 V, LSB 2 mV; the 12 bits are left-justified)
    assert code_to_volts(0x0010, 4.096, "ads1015") == pytest.approx(0.002)
    # config register: OS=1, MUX=100 (AIN0/GND), PGA=010 (±2.048), single-shot, 128 SPS
    assert config_word(0, 2.048, "ads1115") == 0xC583


def test_ina219_datasheet_register_formats() -> None:
    # SBOS448G table 8-8: shunt register at PGA /8, +320 mV = 0x7D00, -320 mV = 0x8300
    assert shunt_volts(0x7D00) == pytest.approx(0.32)
    assert shunt_volts(0x8300) == pytest.approx(-0.32)
    # bus register: bits 15-3, LSB 4 mV
    assert bus_volts(1500 << 3) == pytest.approx(6.0)
    with pytest.raises(OutOfRange):
        bus_volts((1500 << 3) | 1)  # OVF


def sim(address: int, device: object) -> tuple[SimulatedI2CBus, BusHandle]:
    bus = SimulatedI2CBus("sim")
    bus.add(address, device)  # type: ignore[arg-type]
    return bus, BusHandle("sim", lambda: bus)


def test_bme280_on_the_simulated_bus_and_its_faults() -> None:
    model = Bme280Model(temperature=21.5, humidity=45.0, pressure=1013.2)
    bus, handle = sim(0x76, model)
    driver = Bme280(handle, 0x76)
    values = driver.read()
    assert values["temperature"] == pytest.approx(21.5, abs=0.01)
    assert values["humidity"] == pytest.approx(45.0, abs=0.05)
    assert values["pressure"] == pytest.approx(1013.2, abs=0.01)
    bus.vanish(0x76)
    with pytest.raises(I2CBusError) as caught:
        driver.read()
    assert caught.value.errno == errno.EREMOTEIO
    bus.restore(0x76)
    bus.fail(0x76, errno.EIO)
    with pytest.raises(I2CBusError, match="errno 5"):
        driver.read()
    bus.restore(0x76)
    model.chip_id = 0x55
    with pytest.raises(BadChipId):
        driver.read()
    model.chip_id = 0x60
    model.temperature = 150.0  # the compensation can say it; the part cannot measure it
    with pytest.raises(OutOfRange):
        driver.read()
    model.temperature = 20.0
    assert driver.read()["temperature"] == pytest.approx(20.0, abs=0.01)


def test_bmp280_has_no_humidity() -> None:
    _, handle = sim(0x77, Bme280Model(temperature=-5.0, pressure=980.0, chip_id=0x58))
    driver = Bme280(handle, 0x77)
    values = driver.read()
    assert set(values) == {"temperature", "pressure"}
    assert [q.key for q in driver.quantities] == ["temperature", "pressure"]
    assert values["temperature"] == pytest.approx(-5.0, abs=0.01)


def test_other_parts_on_the_simulated_bus() -> None:
    _, handle = sim(0x23, Bh1750Model(illuminance=320.0))
    assert Bh1750(handle, 0x23, measure_time=0).read()["illuminance"] == pytest.approx(320, abs=1)
    sht = Sht4xModel(temperature=23.4, humidity=56.7)
    _, handle = sim(0x44, sht)
    values = Sht4x(handle, 0x44, measure_time=0).read()
    assert values == pytest.approx({"temperature": 23.4, "humidity": 56.7}, abs=0.01)
    sht.corrupt_crc = True
    with pytest.raises(CrcMismatch):
        Sht4x(handle, 0x44, measure_time=0).read()
    for model, step in (("ads1115", 0.0002), ("ads1015", 0.003)):
        _, handle = sim(0x48, Ads1x15Model(model, (0.0, 1.234, -0.5, 3.0)))
        adc = Ads1x15(handle, 0x48, model=model, channel=1, gain=4.096)
        assert adc.read()["voltage"] == pytest.approx(1.234, abs=step)
        low = Ads1x15(handle, 0x48, model=model, channel=2, gain=1.024)
        assert low.read()["voltage"] == pytest.approx(-0.5, abs=step)
        with pytest.raises(OutOfRange):
            Ads1x15(handle, 0x48, model=model, channel=3, gain=2.048).read()
    _, handle = sim(0x40, Ina219Model(voltage=12.0, current=0.75, shunt_ohms=0.1))
    values = Ina219(handle, 0x40, shunt_ohms=0.1).read()
    assert values == pytest.approx({"voltage": 12.0, "current": 0.75, "power": 9.0}, abs=1e-3)


def test_absent_address_nacks_and_unset_registers_read_zero() -> None:
    bus = SimulatedI2CBus()
    with pytest.raises(OSError, match="Remote I/O") as caught:
        bus.read_byte(0x10)
    assert caught.value.errno == 121
    from hardware.sim.i2c_bus import RegisterDevice

    bus.add(0x50, RegisterDevice({0xD0: 0x58}))
    assert bus.read_byte_data(0x50, 0xD0) == 0x58
    assert bus.read_i2c_block_data(0x50, 0x10, 3) == [0, 0, 0]
    bus.write_i2c_block_data(0x50, 0x10, [1, 2])
    assert bus.read_i2c_block_data(0x50, 0x10, 3) == [1, 2, 0]


@given(
    temperature=st.floats(-39.9, 84.9),  # the range's ends are within one ADC step of outside
    humidity=st.floats(0, 100),
    pressure=st.floats(300.1, 1099.9),
)
@settings(max_examples=60, deadline=None)
def test_the_bme280_model_and_driver_agree(
    temperature: float, humidity: float, pressure: float
) -> None:
    """The simulator inverts the driver's conversion to the ADC's resolution."""
    _, handle = sim(0x76, Bme280Model(temperature, humidity, pressure))
    values = Bme280(handle, 0x76).read()
    assert values["temperature"] == pytest.approx(temperature, abs=0.01)
    assert values["pressure"] == pytest.approx(pressure, abs=0.05)
    assert values["humidity"] == pytest.approx(humidity, abs=0.05)


@given(st.binary(min_size=1, max_size=8))
def test_sht4x_crc_of_data_and_its_crc_is_zero(data: bytes) -> None:
    assert crc8(data + bytes([crc8(data)])) == 0


@given(st.integers(0, 0xFFFF), st.sampled_from([6.144, 4.096, 2.048, 1.024, 0.512, 0.256]))
def test_ads1115_codes_within_the_range_are_proportional(word: int, gain: float) -> None:
    signed = word - 0x10000 if word & 0x8000 else word
    if signed in (32767, -32768):
        return
    assert code_to_volts(word, gain, "ads1115") == pytest.approx(signed * gain / 32768)
