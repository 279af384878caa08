"""`python -m gateway run -c CONFIG` as a real process, for tests through the CLI.

One helper for every test that drives the daemon from outside: it writes the config, starts the
process with its output in a log file, sends signals, waits for log lines and exit codes, and is
killed by the fixture after the test. Its blocking methods are meant to be called in a thread
(`tests.helpers.in_thread`) from async tests. The benchmarks (`tests/bench/process.py`) use it
too: `spawned` is when the process was started, `stop()` ends it as systemd would.
BOARDGATE_TEST_DEBUG=1 in the environment runs every such process with `--debug`. No pytest
here: it would add megabytes to the benchmark processes (the fixture is in
`tests/fixtures_process.py`).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_TIMEOUT = 10.0
DEBUG_FROM_ENVIRONMENT = bool(os.environ.get("BOARDGATE_TEST_DEBUG"))


class GatewayProcess:
    """One daemon process; `config` is written to `folder/<name>.yaml` before it starts."""

    def __init__(
        self,
        folder: Path,
        config: str,
        *,
        name: str = "boardgate",
        debug: bool = DEBUG_FROM_ENVIRONMENT,
    ) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.config_path = folder / f"{name}.yaml"
        self.log_path = folder / f"{name}.log"
        self.config_path.write_text(config)
        self.debug = debug
        self.process: subprocess.Popen[bytes] | None = None
        self.spawned = 0.0  # time.perf_counter() when started

    def start(self, *extra_args: str, env: dict[str, str] | None = None) -> None:
        args = [sys.executable, "-m", "gateway", "run", "-c", str(self.config_path)]
        if self.debug:
            args.append("--debug")
        with self.log_path.open("ab") as log:
            self.spawned = time.perf_counter()
            self.process = subprocess.Popen(
                [*args, *extra_args],
                cwd=ROOT,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, **(env or {})},
            )

    @property
    def pid(self) -> int:
        assert self.process is not None, "not started"
        return self.process.pid

    def send(self, signum: int) -> None:
        os.kill(self.pid, signum)

    def wait(self, timeout: float = DEFAULT_TIMEOUT) -> int:
        assert self.process is not None, "not started"
        return self.process.wait(timeout)

    def stop(self, timeout: float = DEFAULT_TIMEOUT) -> int:
        """SIGTERM, then the exit code."""
        self.send(signal.SIGTERM)
        return self.wait(timeout)

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_for_output(self, text: str, timeout: float = DEFAULT_TIMEOUT, count: int = 1) -> None:
        """Block until `text` was logged `count` times; fails early if the process exits."""
        deadline = time.monotonic() + timeout
        while self.output().count(text) < count:
            if self.process is not None and self.process.poll() is not None:
                raise AssertionError(f"exited before logging {text!r}:\n{self.output()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} not logged in {timeout} s:\n{self.output()}")
            time.sleep(0.02)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)
            self.process.kill()
            self.process.wait()
