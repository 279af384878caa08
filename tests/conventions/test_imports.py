"""A convention that is off costs nothing: none of its modules is imported (fresh interpreter)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.broker import free_port
from tests.helpers import modules_loaded_by

PROBE = """\
import asyncio, sys
from pathlib import Path
from gateway.bootstrap import async_setup_gateway
from gateway.config import load_config
from gateway.loader import resolve_platform_schema

async def main():
    gw = await async_setup_gateway(load_config(Path(sys.argv[1]), resolve_platform_schema))
    await gw.async_stop()

asyncio.run(main())
"""
CONFIG = """\
gateway: {{node_id: lean, state_dir: {state}}}
mqtt: {{port: {port}, discovery: false}}
switch:
  - {{platform: virtual, name: Relay}}
"""
SHARED = (
    "gateway.mqtt.publishers.convention_link",
    "gateway.mqtt.publishers.convention_entities",
)
HOMIE = ("gateway.mqtt.publishers.homie", "gateway.mqtt.publishers.homie_model")
SPARKPLUG = (
    "gateway.mqtt.publishers.sparkplug",
    "gateway.mqtt.publishers.sparkplug.payloads",
    "gateway.mqtt.publishers.sparkplug.boardgate_sparkplug_b_pb2",
    "google.protobuf",
)


def loaded_with(tmp_path: Path, sections: str) -> set[str]:
    path = tmp_path / "boardgate.yaml"
    config = CONFIG.format(state=tmp_path / "state", port=free_port()) + sections
    path.write_text(config)
    return modules_loaded_by(PROBE, str(path))


def test_without_the_sections_nothing_is_imported(tmp_path: Path) -> None:
    loaded = loaded_with(tmp_path, "")
    assert "gateway.mqtt.publishers.bridge_api" in loaded  # the probe did set MQTT up
    assert loaded.isdisjoint({*SHARED, *HOMIE, *SPARKPLUG, "gateway.mqtt.publishers.homie_removal"})


def test_homie_alone_imports_no_sparkplug(tmp_path: Path) -> None:
    loaded = loaded_with(tmp_path, "homie: {}\n")
    assert {*SHARED, *HOMIE} <= loaded
    assert loaded.isdisjoint(SPARKPLUG)


def test_sparkplug_alone_imports_no_homie(tmp_path: Path) -> None:
    loaded = loaded_with(tmp_path, "sparkplug: {group_id: plant}\n")
    assert {*SHARED, *SPARKPLUG} <= loaded
    assert loaded.isdisjoint(HOMIE)


def test_sparkplug_without_protobuf_is_a_one_line_error(tmp_path: Path) -> None:
    path = tmp_path / "boardgate.yaml"
    config = (
        CONFIG.format(state=tmp_path / "state", port=free_port()) + "sparkplug: {group_id: g}\n"
    )
    path.write_text(config)
    script = (
        "import sys; sys.modules['google.protobuf'] = None  # as if it were not installed\n"
        "from gateway.cli import main; sys.exit(main(['run', '-c', sys.argv[1]]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(path)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert "boardgate: sparkplug: needs protobuf" in result.stderr
    assert "pip install 'boardgate[sparkplug]'" in result.stderr
    assert "Traceback" not in result.stderr
