"""The last log records, for the page and `/api/logs`: a logging handler with a bounded deque.

Records arrive from any thread (drivers, the pool); `deque.append` with a `maxlen` is atomic, so
the handler takes no lock of its own beyond logging's.
"""

from __future__ import annotations

import logging
from collections import deque
from typing import Any, Final

__all__ = ["MAX_RECORDS", "LogBuffer"]

MAX_RECORDS: Final = 200
MAX_MESSAGE_CHARS: Final = 2000


class LogBuffer(logging.Handler):
    """Keeps the last `MAX_RECORDS` records as small dicts, ready for JSON."""

    def __init__(self, size: int = MAX_RECORDS) -> None:
        super().__init__(logging.INFO)
        self._records: deque[dict[str, Any]] = deque(maxlen=size)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string in someone's log call: keep the raw one
            message = str(record.msg)
        if record.exc_info and record.exc_info[1] is not None:
            message = f"{message} ({type(record.exc_info[1]).__name__}: {record.exc_info[1]})"
        self._records.append(
            {
                "time": record.created,
                "level": record.levelname,
                "logger": record.name,
                "message": message[:MAX_MESSAGE_CHARS],
            }
        )

    def records(self) -> list[dict[str, Any]]:
        """Oldest first."""
        return list(self._records)
