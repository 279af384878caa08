"""A small Server-Sent Events reader over an aiohttp response, for the tests and benchmarks."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp


class SseReader:
    """Reads `event:`/`data:` messages one at a time."""

    def __init__(self, response: aiohttp.ClientResponse) -> None:
        self.response = response

    async def next(self, timeout: float = 10.0) -> tuple[str, Any]:
        """The next message with data (the `retry:` line alone is skipped)."""
        return await asyncio.wait_for(self._next(), timeout)

    async def _next(self) -> tuple[str, Any]:
        event, data = "message", ""
        while True:
            raw = await self.response.content.readline()
            if not raw:
                raise ConnectionError("the stream ended")
            line = raw.decode().rstrip("\n")
            if line.startswith("event: "):
                event = line[len("event: ") :]
            elif line.startswith("data: "):
                data += line[len("data: ") :]
            elif line == "" and data:
                return event, json.loads(data)

    async def until(self, event: str, match: Any = None, timeout: float = 10.0) -> Any:
        """Skip messages until an `event` whose data `match(data)` accepts."""

        async def find() -> Any:
            while True:
                name, data = await self._next()
                if name == event and (match is None or match(data)):
                    return data

        return await asyncio.wait_for(find(), timeout)
