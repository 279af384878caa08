"""deploy/install.sh into a throwaway root, twice (it must be idempotent)."""

from __future__ import annotations

import configparser
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
INSTALL_TIMEOUT = 600


def _install(root: Path) -> str:
    result = subprocess.run(
        [str(REPO / "deploy" / "install.sh"), "--root", str(root), "--no-system"],
        capture_output=True,
        text=True,
        timeout=INSTALL_TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_install_into_throwaway_root_is_idempotent(tmp_path: Path) -> None:
    root = tmp_path / "root"
    first = _install(root)
    assert "writing a starter config" in first
    config = root / "etc" / "boardgate" / "config.yaml"
    config.write_text(config.read_text() + "# edited by the user\n")
    second = _install(root)
    assert "keeping the existing" in second
    assert config.read_text().endswith("# edited by the user\n")
    assert "valid (4 entities)" in second
    assert (root / "var" / "lib" / "boardgate").is_dir()
    assert (root / "opt" / "boardgate" / "venv" / "bin" / "boardgate").exists()


def test_unit_file_has_the_designed_hardening() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(REPO / "deploy" / "boardgate.service")
    service = unit["Service"]
    assert service["Type"] == "notify"
    assert service["Restart"] == "on-failure"
    assert service["WatchdogSec"]
    assert service["NoNewPrivileges"] == "true"
    assert service["ProtectSystem"] == "strict"
    assert service["ProtectHome"] == "true"
    assert service["StateDirectory"] == "boardgate"
    assert service["ConfigurationDirectory"] == "boardgate"
    assert set(service["SupplementaryGroups"].split()) == {"gpio", "dialout", "i2c"}
    assert "PrivateDevices" not in service
