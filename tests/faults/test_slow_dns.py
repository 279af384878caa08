"""Issue 12.6: a slow DNS lookup of the broker's host name must not delay the exit.

The `boardgate` process resolves a host name whose lookup takes `LOOKUP_SECONDS` (a
`sitecustomize` on PYTHONPATH wraps `socket.getaddrinfo` for that one name); SIGTERM during
the lookup still exits 0 within the 5 s of the contract.
"""

from __future__ import annotations

import functools
import os
import signal
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

from tests.helpers import in_thread
from tests.mqtt.conftest import unique
from tests.process import GatewayProcess

from .conftest import figure

SLOW_HOST = "slow-broker.invalid"
LOOKUP_SECONDS = 20.0
STOP_LIMIT = 5.0
LOOKUP_STARTED = "test: slow lookup started"

SITECUSTOMIZE = f"""
import socket
import sys
import time

_getaddrinfo = socket.getaddrinfo


def _slow_getaddrinfo(host, *args, **kwargs):
    if host == {SLOW_HOST!r}:
        print({LOOKUP_STARTED!r}, file=sys.stderr, flush=True)
        time.sleep({LOOKUP_SECONDS})
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    return _getaddrinfo(host, *args, **kwargs)


socket.getaddrinfo = _slow_getaddrinfo
"""


def _write_sitecustomize(folder: Path) -> dict[str, str]:
    folder.mkdir()
    (folder / "sitecustomize.py").write_text(textwrap.dedent(SITECUSTOMIZE))
    paths = [str(folder), *filter(None, [os.environ.get("PYTHONPATH")])]
    return {"PYTHONPATH": os.pathsep.join(paths)}


async def test_sigterm_during_a_slow_dns_lookup_exits_in_time(
    tmp_path: Path, gateway_processes: Callable[..., GatewayProcess]
) -> None:
    config = f"""
gateway: {{node_id: dns, state_dir: {tmp_path / "state"}}}
mqtt: {{host: {SLOW_HOST}, port: 1883, client_id: {unique("bg-dns")}, discovery: false}}
switch:
  - {{platform: virtual, name: Relay}}
"""
    env = await in_thread(_write_sitecustomize, tmp_path / "site")
    process = await in_thread(functools.partial(gateway_processes, config))
    await in_thread(functools.partial(process.start, env=env))
    await in_thread(process.wait_for_output, "Boardgate running")
    await in_thread(process.wait_for_output, LOOKUP_STARTED)
    started = time.monotonic()
    process.send(signal.SIGTERM)
    code = await in_thread(process.wait, LOOKUP_SECONDS + STOP_LIMIT)
    seconds = time.monotonic() - started
    output = await in_thread(process.output)
    figure("12.6 SIGTERM during a 20 s DNS lookup", f"exit {code} {seconds:.2f} s after SIGTERM")
    assert code == 0, output
    assert seconds < STOP_LIMIT, output
    assert "Traceback" not in output
