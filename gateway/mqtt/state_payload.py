"""What an entity's state looks like on its topics. Pure: a `State` in, payload bytes out.

`<e>/state`: as the entity's domain spec encodes it (`gateway/domains/<domain>.py`); nothing
while the entity is unavailable. `<e>/attributes`: JSON of the attributes.
`<e>/availability`: `online`, or `offline` while the state is `unavailable`.
"""

from __future__ import annotations

from collections.abc import Callable

from ..const import STATE_UNAVAILABLE
from ..core import State
from ..domains.registry import domain_spec
from ..domains.spec import StateOutput
from ..domains.wire import PAYLOAD_NONE, dumps, encode_plain_state

__all__ = [
    "PAYLOAD_NONE",
    "attributes_payload",
    "availability_payload",
    "encode_with",
    "state_output",
    "state_payload",
]

ONLINE = b"online"
OFFLINE = b"offline"
# A state of no known domain (none is published today) goes out as its plain string.
_PLAIN = StateOutput(encode_plain_state)


def availability_payload(state: State) -> bytes:
    return OFFLINE if state.state == STATE_UNAVAILABLE else ONLINE


def attributes_payload(state: State) -> bytes:
    return dumps(dict(state.attributes))


def state_output(domain: str) -> StateOutput | None:
    """How the domain's state goes out; None when it has no state topic."""
    spec = domain_spec(domain)
    return _PLAIN if spec is None else spec.state


def encode_with(output: StateOutput | None) -> Callable[[State], bytes | None]:
    """`state_payload` for states of a domain whose output is `output` (looked up once)."""
    if output is None:
        return _nothing
    encode = output.encode

    def payload(state: State) -> bytes | None:
        return None if state.state == STATE_UNAVAILABLE else encode(state)

    return payload


def state_payload(state: State) -> bytes | None:
    """The state topic's payload, or None when nothing is to be written there."""
    return encode_with(state_output(state.domain))(state)


def _nothing(_state: State) -> None:
    return None
