"""Framing is pure: plain unit tests plus hypothesis properties (chunking, bounded buffer)."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hardware.framing import (
    FrameDecoder,
    FrameEncodingError,
    decode_frame,
    delimiter_bytes,
    encode_payload,
)

PROPERTY = settings(database=None, max_examples=300, deadline=None)
pytestmark = pytest.mark.usefixtures("hypothesis_storage")


def feed_all(decoder: FrameDecoder, chunks: list[bytes]) -> list[bytes]:
    frames: list[bytes] = []
    for chunk in chunks:
        frames += decoder.feed(chunk)
    return frames


def test_lines_split_on_newline_and_crlf_stripped() -> None:
    decoder = FrameDecoder()
    assert decoder.feed(b"T=21.5\r\nH=40\n") == [b"T=21.5", b"H=40"]


def test_partial_frame_waits_for_its_delimiter() -> None:
    decoder = FrameDecoder()
    assert decoder.feed(b"T=2") == []
    assert decoder.buffered == 3
    assert decoder.feed(b"1\n") == [b"T=21"]
    assert decoder.buffered == 0


def test_empty_frames_are_skipped() -> None:
    decoder = FrameDecoder()
    assert decoder.feed(b"\n\r\n\nA\n\n") == [b"A"]


def test_multibyte_delimiter_split_across_chunks() -> None:
    decoder = FrameDecoder(b"\r\n")
    assert decoder.feed(b"one\r") == []
    assert decoder.feed(b"\ntwo\r\n") == [b"one", b"two"]


def test_custom_delimiter_keeps_carriage_returns() -> None:
    decoder = FrameDecoder(b";")
    assert decoder.feed(b"a\r;b;") == [b"a\r", b"b"]


def test_overlong_frame_is_discarded_and_the_next_one_kept() -> None:
    decoder = FrameDecoder(max_frame=8)
    assert decoder.feed(b"12345678\n") == [b"12345678"]
    assert decoder.feed(b"123456789\nok\n") == [b"ok"]
    assert decoder.stats.overlong == 1


def test_overlong_frame_is_not_accumulated_while_it_streams() -> None:
    decoder = FrameDecoder(max_frame=16)
    for _ in range(1000):
        assert decoder.feed(b"x" * 100) == []
        assert decoder.buffered <= decoder.buffer_limit
    assert decoder.buffered == 0
    assert decoder.feed(b"tail\nnext\n") == [b"next"]
    assert decoder.stats.overlong == 1


def test_max_frame_counts_after_the_carriage_return_is_stripped() -> None:
    decoder = FrameDecoder(max_frame=4)
    assert decoder.feed(b"abcd\r") == []
    assert decoder.feed(b"\n") == [b"abcd"]


def test_reset_discards_the_partial_frame() -> None:
    decoder = FrameDecoder()
    decoder.feed(b"half a li")
    assert decoder.reset() == 9
    assert decoder.feed(b"ne\nwhole\n") == [b"ne", b"whole"]
    assert decoder.stats.reset_bytes == 9


def test_reset_during_an_overlong_frame() -> None:
    decoder = FrameDecoder(max_frame=4)
    decoder.feed(b"0123456789")
    assert decoder.reset() == 0
    assert decoder.feed(b"ok\n") == [b"ok"]


def test_invalid_arguments() -> None:
    with pytest.raises(ValueError, match="delimiter"):
        FrameDecoder(b"")
    with pytest.raises(ValueError, match="max_frame"):
        FrameDecoder(max_frame=0)


def test_decode_frame_replaces_invalid_utf8_and_supports_hex() -> None:
    assert decode_frame(b"T=\xff\xfe1", "utf-8") == "T=\ufffd\ufffd1"
    assert decode_frame(b"\x00\xab", "hex") == "00ab"
    assert decode_frame(b"caf\xe9", "latin-1") == "café"


def test_encode_payload() -> None:
    assert encode_payload(b"AT+CSQ", "utf-8") == b"AT+CSQ"
    assert encode_payload(b"\xff raw", "utf-8") == b"\xff raw"  # UTF-8 ports pass bytes through
    assert encode_payload(b"00 ab FF", "hex") == b"\x00\xab\xff"
    assert encode_payload("café".encode(), "latin-1") == b"caf\xe9"
    with pytest.raises(FrameEncodingError):
        encode_payload(b"zz", "hex")
    with pytest.raises(FrameEncodingError):
        encode_payload("€".encode(), "ascii")


def test_delimiter_bytes() -> None:
    assert delimiter_bytes("\r\n", "utf-8") == b"\r\n"
    assert delimiter_bytes("\n", "hex") == b"\n"


# --- properties -----------------------------------------------------------------------------

_alphabet = st.sampled_from([b"a", b"b", b"\r", b"\n", b";", b"\xff"])
_streams = st.lists(_alphabet, max_size=400).map(b"".join)
_delimiters = st.sampled_from([b"\n", b"\r\n", b";", b"ab", b"\n\n"])


@st.composite
def _chunkings(draw: st.DrawFn, data: bytes) -> list[bytes]:
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=40)))
    bounds = [0, *cuts, len(data)]
    return [data[start:end] for start, end in itertools.pairwise(bounds)]


@PROPERTY
@given(data=st.data(), stream=_streams, delimiter=_delimiters, max_frame=st.integers(1, 12))
def test_any_chunking_gives_the_same_frames(
    data: st.DataObject, stream: bytes, delimiter: bytes, max_frame: int
) -> None:
    whole = FrameDecoder(delimiter, max_frame)
    expected = whole.feed(stream)
    chunked = FrameDecoder(delimiter, max_frame)
    chunks = data.draw(_chunkings(stream))
    assert feed_all(chunked, chunks) == expected
    assert chunked.stats == whole.stats
    assert chunked.buffered == whole.buffered


@PROPERTY
@given(
    chunks=st.lists(st.binary(max_size=64), max_size=60),
    delimiter=_delimiters,
    max_frame=st.integers(1, 16),
)
def test_buffer_stays_bounded_and_frames_respect_max_frame(
    chunks: list[bytes], delimiter: bytes, max_frame: int
) -> None:
    decoder = FrameDecoder(delimiter, max_frame)
    for chunk in chunks:
        for frame in decoder.feed(chunk):
            assert 0 < len(frame) <= max_frame
            assert delimiter not in frame
        assert decoder.buffered <= decoder.buffer_limit


@PROPERTY
@given(
    frames=st.lists(
        st.binary(min_size=1, max_size=20).filter(
            lambda f: b"\n" not in f and not f.endswith(b"\r")
        ),
        max_size=30,
    ),
    crlf=st.booleans(),
)
def test_frames_round_trip(frames: list[bytes], crlf: bool) -> None:
    ending = b"\r\n" if crlf else b"\n"
    decoder = FrameDecoder(max_frame=20)
    assert decoder.feed(b"".join(frame + ending for frame in frames)) == frames
