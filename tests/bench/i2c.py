"""Benchmark 6: polled I²C sensors on the simulated bus, and the cost of the `i2c:` feature.

7a. CPU per polled part at `scan_interval: 1`: a gateway process with 20 BME280s (10 simulated
    buses, 0x76 and 0x77 on each; 60 entities, every part read once a second: chip id, forced
    measurement, compensation) against the same process without them (the floor), both idle
    otherwise; the difference divided by 20.
7c. CPU of one expander without INT, its port read every 50 ms (a button on it), against the
    same floor.
7b. RSS of those two processes: the one without `i2c:` imports no I²C module (tests/i2c/
    test_lean.py checks that), so its RSS is the daemon's idle RSS unchanged by this feature.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from .common import Row, read_rss_mb
from .process import _cpu_seconds, _run_process, byte_compile

PARTS_PER_BUS = (0x76, 0x77)
BUSES = 10
CPU_PER_PART_TARGET = 0.1  # % of one core per part read every second
SPARE = "switch:\n  - {platform: virtual, name: Spare}\n"
POLLED_EXPANDER = (
    "i2c: [{id: sim, bus: simulated, devices: [{address: 0x20, model: pcf8574}]}]\n"
    "expander: [{id: ext1, model: pcf8574, i2c_id: sim, address: 0x20}]\n"
    'binary_sensor: [{platform: gpio, name: Button, pin: "ext1:0", pull_up: true}]\n'
) + SPARE


def _i2c_body() -> str:
    lines = ["i2c:"]
    for bus in range(BUSES):
        devices = ", ".join(
            f"{{address: 0x{address:02x}, model: bme280, temperature: {20 + bus}}}"
            for address in PARTS_PER_BUS
        )
        lines.append(f"  - {{id: sim{bus}, bus: simulated, devices: [{devices}]}}")
    lines.append("sensor:")
    for bus in range(BUSES):
        for address in PARTS_PER_BUS:
            lines.append(
                f"  - {{platform: i2c, i2c_id: sim{bus}, model: bme280, address: 0x{address:02x},"
                f" name: P{bus} {address:x}, scan_interval: 1}}"
            )
    return "\n".join(lines) + "\n" + SPARE


async def _measure(
    port: int, folder: Path, node: str, body: str, states: int, seconds: float
) -> tuple[float, float]:
    gateway, _ = await _run_process(port, folder, node, body, states)
    try:
        await asyncio.sleep(2)  # start-up is not steady state
        cpu_before, start = _cpu_seconds(gateway.pid), time.perf_counter()
        await asyncio.sleep(seconds)
        cpu = (_cpu_seconds(gateway.pid) - cpu_before) / (time.perf_counter() - start) * 100
        rss = read_rss_mb(gateway.pid)
    finally:
        await asyncio.get_running_loop().run_in_executor(None, gateway.stop)
    return cpu, rss


async def run_i2c(port: int, seconds: float, folder: Path) -> list[Row]:
    await asyncio.get_running_loop().run_in_executor(None, byte_compile)
    parts = BUSES * len(PARTS_PER_BUS)
    floor_cpu, floor_rss = await _measure(port, folder / "floor", "floor", SPARE, 1, seconds)
    cpu, rss = await _measure(port, folder / "i2c", "i2c", _i2c_body(), 3 * parts + 1, seconds)
    per_part = (cpu - floor_cpu) / parts
    polled_cpu, _ = await _measure(
        port, folder / "expander", "expander", POLLED_EXPANDER, 2, seconds
    )
    return [
        Row(
            f"7a. {parts} BME280s polled every 1 s (sim bus), {seconds:g} s",
            f"CPU {cpu:.2f} % = {per_part:.3f} % per part",
            f"CPU {floor_cpu:.3f} % (no i2c:)",
            f"+{cpu - floor_cpu:.2f} %",
            f"< {CPU_PER_PART_TARGET} % per part",
            per_part < CPU_PER_PART_TARGET,
        ),
        Row(
            "7c. one expander read every 50 ms (no INT wired)",
            f"CPU {polled_cpu:.2f} %",
            f"CPU {floor_cpu:.3f} % (no i2c:)",
            f"+{polled_cpu - floor_cpu:.2f} %",
            "(reported)",
            None,
        ),
        Row(
            "7b. RSS without / with i2c: (imports only when configured)",
            f"RSS {floor_rss:.1f} MB without, {rss:.1f} MB with {parts} parts",
            "—",
            f"+{rss - floor_rss:.1f} MB",
            "(reported)",
            None,
        ),
    ]
