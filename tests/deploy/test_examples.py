"""Every example config we ship validates."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gateway.config import load_config
from gateway.loader import resolve_platform_schema

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted([*REPO.glob("deploy/examples/*.yaml"), *REPO.glob("examples/*.yaml")])


@pytest.mark.parametrize("example", EXAMPLES, ids=[path.name for path in EXAMPLES])
def test_example_config_is_valid(example: Path, tmp_path: Path) -> None:
    copy = tmp_path / example.name
    shutil.copy(example, copy)
    (tmp_path / "secrets.yaml").write_text("mqtt_user: user\nmqtt_password: secret\n")
    config = load_config(copy, resolve_platform_schema)
    assert config.entities


def test_there_are_examples_for_the_common_boards() -> None:
    names = {path.name for path in EXAMPLES}
    expected = {
        "relay-board.yaml", "door-sensors.yaml", "serial-arduino.yaml", "onewire-thermometer.yaml"
    }  # fmt: skip
    assert expected <= names
