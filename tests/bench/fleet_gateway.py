"""`python -m tests.bench.fleet_gateway run -c CONFIG`: `boardgate` for the fleet benchmark.

With `BOARDGATE_BENCH_JITTER=old` the first retry after a lost connection goes back to the
policy before issue 17 (0.5 s + up to 25 %), so both can be measured in one run; the daemon
itself has no such switch.
"""

from __future__ import annotations

import os

from gateway.cli import main
from gateway.mqtt import connection

if os.environ.get("BOARDGATE_BENCH_JITTER") == "old":
    connection.FULL_JITTER_AFTER_LOSS = False

raise SystemExit(main())
