"""Atomic JSON state files and the coalescing writer."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gateway.clock import FakeClock
from gateway.core import Gateway
from gateway.state_store import StateFile, read_json, write_json_atomic
from tests.helpers import in_thread


def test_atomic_write_and_read(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "x.json"
    write_json_atomic(path, {"on": True})
    write_json_atomic(path, {"on": False, "n": 3})
    assert read_json(path) == {"on": False, "n": 3}
    assert sorted(os.listdir(path.parent)) == ["x.json"]  # the temp file was renamed away


def test_failed_write_keeps_the_old_file(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    write_json_atomic(path, {"total": 1})
    with pytest.raises(TypeError):
        write_json_atomic(path, {"bad": object()})
    assert read_json(path) == {"total": 1}
    assert sorted(os.listdir(tmp_path)) == ["x.json"]


def test_missing_corrupt_and_non_object_files(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    assert read_json(tmp_path / "none.json") is None
    (tmp_path / "bad.json").write_text("{")
    (tmp_path / "list.json").write_text("[1]")
    assert read_json(tmp_path / "bad.json") is None
    assert read_json(tmp_path / "list.json") is None
    assert "corrupt" in caplog.text
    assert "not a JSON object" in caplog.text


async def test_saves_coalesce_to_the_latest_value(gw: Gateway, tmp_path: Path) -> None:
    store = StateFile(gw, tmp_path / "s.json")
    for value in range(20):
        store.async_save({"v": value})
    await gw.async_block_till_done()
    assert store.writes <= 2  # one started at once, one more with the latest value
    assert await store.async_load() == {"v": 19}


async def test_min_interval_spaces_writes_and_flush_writes_now(
    gw: Gateway, clock: FakeClock, tmp_path: Path
) -> None:
    store = StateFile(gw, tmp_path / "s.json", min_interval=5)
    store.async_save({"v": 1})
    await gw.async_block_till_done()
    store.async_save({"v": 2})
    store.async_save({"v": 3})
    await gw.async_block_till_done()
    assert (store.writes, await store.async_load()) == (1, {"v": 1})
    clock.advance(5)
    await gw.async_block_till_done()
    assert (store.writes, await store.async_load()) == (2, {"v": 3})
    store.async_save({"v": 4})
    await store.async_flush()
    assert (store.writes, await store.async_load()) == (3, {"v": 4})
    assert clock.pending() == 0


async def test_write_error_is_logged_not_raised(
    gw: Gateway, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "file"
    await in_thread(blocker.write_text, "")
    store = StateFile(gw, blocker / "s.json")  # parent is a file: cannot create the folder
    store.async_save({"v": 1})
    await gw.async_block_till_done()
    assert "Cannot write state file" in caplog.text
    caplog.clear()
