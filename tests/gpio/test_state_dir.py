"""An unwritable state folder: said once, shown in health, no log flood (issue 12, item 10)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from gateway.clock import FakeClock
from gateway.core import Gateway
from gateway.state_store import StateDir, StateFile, async_state_dir
from tests.helpers import in_thread


def messages(caplog: pytest.LogCaptureFixture, level: int, text: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == level and text in r.getMessage()]


async def test_check_reports_a_folder_under_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    await in_thread(blocker.write_text, "")
    state_dir = StateDir(blocker / "state")
    assert await in_thread(state_dir.check) is False
    assert state_dir.as_dict() == {
        "path": str(blocker / "state"),
        "writable": False,
        "error": f"Not a directory: '{blocker / 'state'}'",
    }
    fine = StateDir(tmp_path / "made" / "here")
    assert await in_thread(fine.check) is True
    assert await in_thread(lambda: sorted((tmp_path / "made" / "here").iterdir())) == []


async def test_unwritable_folder_is_said_once_with_the_fix(
    gw: Gateway, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "file"
    await in_thread(blocker.write_text, "")
    first = await async_state_dir(gw, blocker / "state")
    again = await async_state_dir(gw, blocker / "state")
    assert first is again
    said = messages(caplog, logging.WARNING, "cannot be written")
    assert len(said) == 1
    assert said[0].startswith(f"State directory {blocker / 'state'} cannot be written (Not a dir")
    assert "gateway: {state_dir: ...}" in said[0]
    assert "STATE_DIRECTORY" in said[0]


async def test_failing_writes_warn_once_then_recover(
    gw: Gateway, clock: FakeClock, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Before: one ERROR per write (an output saving every second logged one a second)."""
    blocker = tmp_path / "state"
    await in_thread(blocker.write_text, "")
    state_dir = StateDir(blocker)
    store = StateFile(gw, blocker / "gpio" / "switch.x.json", min_interval=1, state_dir=state_dir)
    for value in range(20):
        store.async_save({"on": value % 2 == 0})
        await gw.async_block_till_done()
        clock.advance(1)
        await gw.async_block_till_done()
    assert len(messages(caplog, logging.WARNING, "Cannot write state file")) == 1
    assert (state_dir.writable, store.writes) == (False, 0)

    await in_thread(blocker.unlink)  # the admin fixes it: the next write works and says so
    store.async_save({"on": True})
    await store.async_flush()
    assert store.writes == 1
    assert state_dir.as_dict()["writable"] is True
    assert len(messages(caplog, logging.INFO, "written again")) == 1
    assert clock.pending() == 0


async def test_known_unwritable_folder_logs_writes_only_at_debug(
    gw: Gateway, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "state"
    await in_thread(blocker.write_text, "")
    state_dir = StateDir(blocker)
    await in_thread(state_dir.check)  # the start-up check already said it
    store = StateFile(gw, blocker / "c.json", state_dir=state_dir)
    store.async_save({"total": 1})
    await store.async_flush()
    assert messages(caplog, logging.WARNING, "Cannot write state file") == []
