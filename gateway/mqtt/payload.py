"""Parsing command payloads (`<e>/set`) into service calls, by the entity's domain spec.

Pure: no I/O, never raises anything but `PayloadError`, whatever the bytes. The forms each
domain accepts live with the domain (`gateway/domains/<domain>.py`).
"""

from __future__ import annotations

from ..domains.registry import domain_spec
from ..domains.spec import Command, PayloadError
from ..domains.wire import MAX_PAYLOAD_BYTES

__all__ = ["MAX_PAYLOAD_BYTES", "Command", "PayloadError", "parse_command"]


def parse_command(domain: str, payload: bytes) -> Command:
    """The command `payload` asks of an entity of `domain`; raises PayloadError."""
    spec = domain_spec(domain)
    if spec is None or spec.commands is None:
        raise PayloadError(f"{domain} entities take no commands")
    return spec.commands.parse(payload)
