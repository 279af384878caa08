"""The `boardgate` command as a user runs it: a subprocess, its output and exit codes."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from pathlib import Path

import pytest

from gateway.config.validate import NOTHING_TO_RUN
from gateway.const import __version__
from tests.helpers import in_thread

START_TIMEOUT = 30.0
STOP_BUDGET_SECONDS = 5.0

VALID = """\
gateway:
  node_id: test-node
  state_dir: {state_dir}
switch:
  - {{platform: virtual, name: Relay 1}}
sensor:
  - {{platform: virtual, name: Setpoint, value: 21.5}}
  - {{platform: system, type: load, name: Load, scan_interval: 1}}
"""

BROKEN = """\
gateway:
  node_id: Not A Slug!
switch:
  - {platform: virtual}
  - {platform: nosuch, name: X}
"""


async def _run(*args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gateway", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), START_TIMEOUT)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


@pytest.fixture
def valid_config(tmp_path: Path) -> Path:
    path = tmp_path / "boardgate.yaml"
    path.write_text(VALID.format(state_dir=tmp_path / "state"))
    return path


@pytest.fixture
def broken_config(tmp_path: Path) -> Path:
    path = tmp_path / "broken.yaml"
    path.write_text(BROKEN)
    return path


async def test_version() -> None:
    code, out, _ = await _run("--version")
    assert (code, out.strip()) == (0, f"boardgate {__version__}")


async def test_check_config_valid(valid_config: Path) -> None:
    code, out, err = await _run("check-config", "-c", str(valid_config))
    assert code == 0, err
    assert "valid (3 entities)" in out


async def test_check_config_reports_every_error_without_traceback(broken_config: Path) -> None:
    code, _, err = await _run("check-config", "-c", str(broken_config))
    assert code == 2
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert any(
        line.startswith(f"{broken_config}:2:") and "gateway.node_id" in line for line in lines
    )
    assert any(line.startswith(f"{broken_config}:4:") and "switch.0" in line for line in lines)
    assert any(
        line.startswith(f"{broken_config}:5:") and "switch.1.platform" in line for line in lines
    )


async def test_run_with_bad_config_exits_2(broken_config: Path) -> None:
    code, _, err = await _run("run", "-c", str(broken_config))
    assert code == 2
    assert "Traceback" not in err


@pytest.mark.parametrize("command", ["check-config", "run"])
async def test_a_config_with_nothing_to_run_exits_2(tmp_path: Path, command: str) -> None:
    """Not "valid (0 entities)": an empty file is refused as other errors are."""
    path = tmp_path / "empty.yaml"
    await in_thread(path.write_text, "gateway: {node_id: empty}\n")
    code, out, err = await _run(command, "-c", str(path))
    assert (code, out) == (2, ""), err
    assert err.splitlines() == [f"{path}:1:1: <root>: {NOTHING_TO_RUN}"]


async def test_missing_config_exits_2(tmp_path: Path) -> None:
    code, _, err = await _run("run", "-c", str(tmp_path / "absent.yaml"))
    assert code == 2
    assert "cannot read" in err
    assert "Traceback" not in err


async def test_usage_error_exits_2() -> None:
    code, _, err = await _run("frobnicate")
    assert code == 2
    assert "invalid choice" in err


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
async def test_run_and_stop_cleanly_on_signal(
    valid_config: Path, signum: int, tmp_path: Path
) -> None:
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(tmp_path / "notify"))
    notify.setblocking(False)
    env = {**os.environ, "NOTIFY_SOCKET": str(tmp_path / "notify")}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gateway", "run", "--debug", "-c", str(valid_config),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
    )  # fmt: skip
    assert process.stderr is not None
    seen: list[str] = []
    try:
        while True:
            line = (await asyncio.wait_for(process.stderr.readline(), START_TIMEOUT)).decode()
            assert line, f"gateway exited early: {''.join(seen)}"
            seen.append(line)
            if "Boardgate running as test-node with 3 entities" in line:
                break
        loop = asyncio.get_running_loop()
        ready = await asyncio.wait_for(loop.sock_recv(notify, 64), START_TIMEOUT)
        assert ready == b"READY=1"
        process.send_signal(signum)
        rest = await asyncio.wait_for(process.stderr.read(), STOP_BUDGET_SECONDS)
        code = await asyncio.wait_for(process.wait(), STOP_BUDGET_SECONDS)
        assert await asyncio.wait_for(loop.sock_recv(notify, 64), 1) == b"STOPPING=1"
    finally:
        notify.close()
        if process.returncode is None:
            process.kill()
            await process.wait()
    log = "".join(seen) + rest.decode()
    assert code == 0, log
    assert "Traceback" not in log
    assert "Detected blocking call" not in log
    assert "stopping" in log


async def test_sighup_reloads_and_notifies_systemd(valid_config: Path, tmp_path: Path) -> None:
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(tmp_path / "notify"))
    notify.setblocking(False)
    env = {**os.environ, "NOTIFY_SOCKET": str(tmp_path / "notify")}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "gateway", "run", "-c", str(valid_config),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env,
    )  # fmt: skip
    assert process.stderr is not None
    loop = asyncio.get_running_loop()

    async def next_notification() -> bytes:
        return await asyncio.wait_for(loop.sock_recv(notify, 64), START_TIMEOUT)

    try:
        assert await next_notification() == b"READY=1"
        changed = VALID.format(state_dir=tmp_path / "state").replace("Relay 1", "Relay 9")
        await in_thread(valid_config.write_text, changed)
        process.send_signal(signal.SIGHUP)
        assert await next_notification() == b"RELOADING=1"
        assert await next_notification() == b"READY=1"
        process.send_signal(signal.SIGTERM)
        log = (await asyncio.wait_for(process.stderr.read(), STOP_BUDGET_SECONDS)).decode()
        assert await asyncio.wait_for(process.wait(), STOP_BUDGET_SECONDS) == 0
    finally:
        notify.close()
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert "Reloaded: 1 added, 1 removed, 0 changed, 2 unchanged" in log


async def test_missing_pin_factory_library_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "gpio.yaml"
    text = (
        f"gateway: {{node_id: t, state_dir: {tmp_path}}}\ngpio: {{pin_factory: lgpio}}\n"
        "switch:\n  - {platform: gpio, name: Relay, pin: 17}\n"
    )
    await in_thread(path.write_text, text)
    code, _, err = await _run("run", "-c", str(path))
    assert code == 1
    assert "Traceback" not in err
    assert "pip install lgpio" in err
