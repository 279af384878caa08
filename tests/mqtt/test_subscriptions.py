"""The subscription index against a naive matcher written straight from the MQTT spec."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.mqtt.subscriptions import SubscriptionIndex
from gateway.mqtt.topic import validate_filter, validate_topic


def naive_match(topic_filter: str, topic: str) -> bool:
    """MQTT 3.1.1 §4.7 / MQTT 5 §4.7, level by level."""
    filter_levels = topic_filter.split("/")
    topic_levels = topic.split("/")
    if topic.startswith("$") and filter_levels[0] in ("+", "#"):
        return False
    for index, level in enumerate(filter_levels):
        if level == "#":
            return True
        if index >= len(topic_levels):
            return False
        if level != "+" and level != topic_levels[index]:
            return False
    return len(filter_levels) == len(topic_levels)


CASES = [
    ("a/b", "a/b", True),
    ("a/b", "a/c", False),
    ("a/+", "a/b", True),
    ("a/+", "a/b/c", False),
    ("a/+", "a", False),
    ("a/+", "a/", True),  # + matches an empty level
    ("+/+", "/a", True),
    ("+", "/a", False),
    ("#", "a/b/c", True),
    ("#", "/", True),
    ("a/#", "a", True),  # the parent level too
    ("a/#", "a/b/c", True),
    ("a/#", "ab", False),
    ("+/#", "a", True),
    ("a/+/c/#", "a/x/c", True),
    ("a/+/c/#", "a/x/d", False),
    ("#", "$SYS/broker", False),
    ("+/broker", "$SYS/broker", False),
    ("$SYS/#", "$SYS/broker", True),
    ("$SYS/+", "$SYS/broker", True),
    ("a/$b", "a/$b", True),
    ("a/+", "a/$b", True),  # only the first level is special
]


@pytest.mark.parametrize(("topic_filter", "topic", "expected"), CASES)
def test_spec_examples(topic_filter: str, topic: str, expected: bool) -> None:
    assert naive_match(topic_filter, topic) is expected
    index: SubscriptionIndex[str] = SubscriptionIndex()
    index.add(topic_filter, "sub")
    assert (index.match(topic) == ["sub"]) is expected


@pytest.mark.parametrize("bad", ["", "a/#/b", "a#", "a/b+", "+a", "a/\0", "#/"])
def test_invalid_filters_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - each message names the rule broken
        SubscriptionIndex[str]().add(bad, "x")


@pytest.mark.parametrize("bad", ["", "a/+", "a/#", "\0"])
def test_invalid_topics_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011
        validate_topic(bad)


def test_counts_distinct_filters_and_prunes() -> None:
    index: SubscriptionIndex[object] = SubscriptionIndex()
    first, second = object(), object()
    assert index.add("a/+/c", first) is True
    assert index.add("a/+/c", second) is False  # the broker is asked once per filter
    assert index.filters() == ["a/+/c"]
    assert index.remove("a/+/c", first) is False
    assert index.match("a/b/c") == [second]
    assert index.remove("a/+/c", second) is True
    assert len(index) == 0
    assert index._root.children == {}  # nothing left behind
    with pytest.raises(KeyError):
        index.remove("a/+/c", second)


def test_same_value_under_two_filters_is_delivered_for_each() -> None:
    index: SubscriptionIndex[str] = SubscriptionIndex()
    index.add("a/#", "v")
    index.add("a/b", "v")
    assert index.match("a/b") == ["v", "v"]


def test_matching_cost_does_not_grow_with_subscriptions() -> None:
    """10,000 exact filters elsewhere do not slow a lookup: the trie visits a few nodes."""
    index: SubscriptionIndex[int] = SubscriptionIndex()
    for number in range(10_000):
        index.add(f"boardgate/node/switch/s{number}/set", number)
    index.add("boardgate/+/switch/+/set", -1)
    assert sorted(index.match("boardgate/node/switch/s42/set")) == [-1, 42]
    assert index.match("boardgate/node/switch/nope/set") == [-1]


_LEVELS = st.sampled_from(["a", "b", "", "$SYS", "$x", "c"])
_FILTER_LEVELS = st.sampled_from(["a", "b", "", "$SYS", "+", "c"])


@st.composite
def topic_filters(draw: st.DrawFn) -> str:
    levels = draw(st.lists(_FILTER_LEVELS, min_size=1, max_size=4))
    if draw(st.booleans()):
        levels.append("#")
    value = "/".join(levels)
    return value if value else "#"


topics = st.lists(_LEVELS, min_size=1, max_size=5).map("/".join).filter(bool)


@settings(max_examples=300, deadline=None, database=None)
@given(filters=st.lists(topic_filters(), min_size=1, max_size=12), topic=topics)
def test_index_agrees_with_naive_matcher(filters: list[str], topic: str) -> None:
    index: SubscriptionIndex[int] = SubscriptionIndex()
    for number, topic_filter in enumerate(filters):
        validate_filter(topic_filter)
        index.add(topic_filter, number)
    expected = sorted(n for n, f in enumerate(filters) if naive_match(f, topic))
    assert sorted(index.match(topic)) == expected


@settings(max_examples=200, deadline=None, database=None)
@given(
    filters=st.lists(topic_filters(), min_size=1, max_size=10),
    removals=st.lists(st.integers(min_value=0, max_value=9), max_size=10),
    topic=topics,
)
def test_removal_agrees_with_naive_matcher(
    filters: list[str], removals: list[int], topic: str
) -> None:
    index: SubscriptionIndex[int] = SubscriptionIndex()
    for number, topic_filter in enumerate(filters):
        index.add(topic_filter, number)
    alive = dict(enumerate(filters))
    for number in removals:
        if number in alive:
            index.remove(alive.pop(number), number)
    expected = sorted(n for n, f in alive.items() if naive_match(f, topic))
    assert sorted(index.match(topic)) == expected
    assert set(index.filters()) == set(alive.values())
