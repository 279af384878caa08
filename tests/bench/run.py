"""Run every benchmark against a private mosquitto and print one table.

.venv/bin/python -m tests.bench [--idle-seconds 60] [--rounds 2000] [--only 1,2,3,4,5,6,7,8,9]
    [--fleet-size 50]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import platform
import tempfile
from pathlib import Path

from . import conventions, fleet, i2c, latency, process, throughput, web
from .common import Row, broker

__all__ = ["main"]


def _table(rows: list[Row]) -> str:
    header = Row("benchmark", "measured", "floor (same run)", "ratio", "target", None)
    cells = [
        [r.name, r.value, r.floor, r.ratio, r.target, {True: "ok", False: "MISS", None: ""}[r.ok]]
        for r in [header, *rows]
    ]
    cells[0][5] = ""
    widths = [max(len(row[i]) for row in cells) for i in range(6)]
    lines = [
        " | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in cells
    ]
    lines.insert(1, "-+-".join("-" * width for width in widths))
    return "\n".join(lines)


async def _run(args: argparse.Namespace, port: int, folder: Path) -> list[Row]:
    only = set(args.only.split(","))
    rows: list[Row] = []
    if "1" in only:
        rows += await latency.run_echo(port, args.rounds, folder)
    if "2" in only:
        rows += await latency.run_edges(port, args.rounds, folder)
    if "3" in only:
        rows += await throughput.run_serial(port, args.frames, folder / "serial")
    if "4" in only:
        rows += await process.run_idle(port, args.idle_seconds, folder / "idle")
    if "5" in only:
        rows += await process.run_scale(port, folder / "scale")
        rows += await throughput.run_fan_in(port, 10_000)
    if "6" in only:
        rows += await web.run_web(port, args.rounds, folder / "web")
    if "7" in only:
        rows += await i2c.run_i2c(port, args.i2c_seconds, folder / "i2c")
    if "8" in only:
        rows += await conventions.run_conventions(port, folder / "conventions")
    if "9" in only:
        rows += await fleet.run_fleet(folder / "fleet", args.fleet_size)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__)
    parser.add_argument("--idle-seconds", type=float, default=60.0)
    parser.add_argument("--rounds", type=int, default=2000, help="latency samples per row")
    parser.add_argument("--frames", type=int, default=50_000, help="serial frames")
    parser.add_argument("--i2c-seconds", type=float, default=30.0)
    parser.add_argument("--only", default="1,2,3,4,5,6,7,8,9", help="benchmarks to run, e.g. 1,3")
    parser.add_argument("--fleet-size", type=int, default=50, help="gateways in benchmark 9")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="boardgate-bench-") as folder:
        (Path(folder) / "serial").mkdir()
        with broker() as mosquitto:
            rows = asyncio.run(_run(args, mosquitto.port, Path(folder)))
    print(f"Boardgate benchmarks — Python {platform.python_version()}, loopback mosquitto")
    print(_table(rows))


if __name__ == "__main__":
    main()
