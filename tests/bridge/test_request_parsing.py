"""`parse_request`: pure, bounded parsing of `bridge/request/*` payloads (issue 12, item 8)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.mqtt.publishers.bridge_api import (
    MAX_REQUEST_BYTES,
    MAX_REQUEST_DEPTH,
    MAX_TRANSACTION_CHARS,
    nesting_depth,
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
        (b"[" * 1100, "nested deeper"),
        (b'{"a": ' + b"[" * 3000 + b"]" * 3000 + b"}", "nested deeper"),
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


@pytest.mark.parametrize(
    ("payload", "depth"),
    [
        (b"", 0),
        (b"{}", 1),
        (b'{"a": [1, {"b": []}]}', 4),
        (b'{"a": "[[[[{{{{"}', 1),  # brackets inside strings do not count
        (b'{"a": "\\"[[["}', 1),  # nor after an escaped quote
        (b"[" * 40 + b"]" * 40, 40),
    ],
)
def test_nesting_depth_skips_strings(payload: bytes, depth: int) -> None:
    assert nesting_depth(payload) == depth


def test_depth_is_refused_before_the_parser_whatever_the_recursion_limit() -> None:
    """A request nested just past the limit is refused by the scan, not by RecursionError."""
    deep = b'{"a": ' + b"[" * MAX_REQUEST_DEPTH + b"]" * MAX_REQUEST_DEPTH + b"}"
    assert nesting_depth(deep) == MAX_REQUEST_DEPTH + 1
    request = parse_request(deep)
    assert request.error is not None
    assert "nested deeper" in request.error
