"""`parse_request`: pure, bounded parsing of `bridge/request/*` payloads (issue 12, item 8)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.mqtt.publishers.bridge_api import (
    MAX_REQUEST_BYTES,
    MAX_TRANSACTION_CHARS,
    parse_request,
)


@pytest.mark.parametrize(
    ("payload", "transaction"),
    [
        (b"", None),
        (b"{}", None),
        (b'{"transaction": "t-1"}', "t-1"),
        (b'{"transaction": 7}', 7),
        (b'{"transaction": -2.5}', -2.5),
        (json.dumps({"transaction": "x" * MAX_TRANSACTION_CHARS}).encode(), "x" * 256),
    ],
)
def test_accepted_requests_echo_their_transaction(payload: bytes, transaction: object) -> None:
    request = parse_request(payload)
    assert request.error is None
    assert request.transaction == transaction


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"[" * 1100, "JSON object"),
        (b'{"a": ' + b"[" * 3000 + b"]" * 3000 + b"}", "JSON object"),
        (b"{not json", "JSON object"),
        (b"\xff\xfe", "JSON object"),
        (b"[1]", "JSON object"),
        (b" " * (MAX_REQUEST_BYTES + 1), "longer than"),
        (json.dumps({"transaction": "x" * (MAX_TRANSACTION_CHARS + 1)}).encode(), "transaction"),
        (b'{"transaction": {"a": 1}}', "transaction"),
        (b'{"transaction": [1, 2]}', "transaction"),
        (b'{"transaction": true}', "transaction"),
        (b'{"transaction": NaN}', "transaction"),
        (b'{"transaction": Infinity}', "transaction"),
        (b'{"transaction": ' + b"9" * 300 + b"}", "transaction"),
    ],
)
def test_refused_requests_say_why_and_echo_nothing(payload: bytes, reason: str) -> None:
    request = parse_request(payload)
    assert request.error is not None
    assert reason in request.error
    assert request.transaction is None


@given(st.binary(max_size=2 * MAX_REQUEST_BYTES))
def test_never_raises_on_any_bytes(payload: bytes) -> None:
    request = parse_request(payload)
    assert (request.error is None) or request.transaction is None


@given(st.recursive(st.none() | st.integers() | st.text(max_size=5), st.lists, max_leaves=50))
def test_an_echoed_transaction_is_small(transaction: object) -> None:
    payload = json.dumps({"transaction": transaction}).encode()
    request = parse_request(payload)
    if request.transaction is not None:
        assert len(json.dumps(request.transaction)) <= MAX_TRANSACTION_CHARS + 2
