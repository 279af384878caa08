"""A pure subscription index: which subscriptions does a topic match?

A trie keyed by topic level, so matching costs about the topic's depth times the number of
wildcard branches met on the way, not the number of subscriptions. Follows MQTT 3.1.1/5:
`+` matches exactly one level (also an empty one), `#` matches the rest including the parent
level (`a/#` matches `a`), and wildcards in the first level never match a topic starting
with `$` (`$SYS/...`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Generic, TypeVar

from .topic import validate_filter

__all__ = ["SubscriptionIndex"]

_T = TypeVar("_T")


class _Node(Generic[_T]):
    __slots__ = ("children", "values")

    def __init__(self) -> None:
        self.children: dict[str, _Node[_T]] = {}
        self.values: list[_T] = []


class SubscriptionIndex(Generic[_T]):
    """Values (subscriptions) stored under topic filters; `match` finds those for a topic.

    The same value may be added under several filters, and several values under one filter.
    Filters are validated on `add` (ValueError). Not thread-safe: use from the loop.
    """

    def __init__(self) -> None:
        self._root: _Node[_T] = _Node()
        self._counts: dict[str, int] = {}

    def add(self, topic_filter: str, value: _T) -> bool:
        """Store `value` under `topic_filter`; True if the filter is new to the index."""
        validate_filter(topic_filter)
        node = self._root
        for level in topic_filter.split("/"):
            child = node.children.get(level)
            if child is None:
                child = node.children[level] = _Node()
            node = child
        node.values.append(value)
        count = self._counts.get(topic_filter, 0)
        self._counts[topic_filter] = count + 1
        return count == 0

    def remove(self, topic_filter: str, value: _T) -> bool:
        """Remove one `value` stored under `topic_filter`; True if the filter is now unused.

        Raises KeyError when the value is not stored there.
        """
        path: list[tuple[_Node[_T], str]] = []
        node = self._root
        for level in topic_filter.split("/"):
            child = node.children.get(level)
            if child is None:
                raise KeyError(topic_filter)
            path.append((node, level))
            node = child
        for index, stored in enumerate(node.values):
            if stored is value:
                del node.values[index]
                break
        else:
            raise KeyError(topic_filter)
        self._prune(path, node)
        count = self._counts[topic_filter] - 1
        if count:
            self._counts[topic_filter] = count
            return False
        del self._counts[topic_filter]
        return True

    @staticmethod
    def _prune(path: list[tuple[_Node[_T], str]], node: _Node[_T]) -> None:
        for parent, level in reversed(path):
            if node.values or node.children:
                return
            del parent.children[level]
            node = parent

    def match(self, topic: str) -> list[_T]:
        """Every value whose filter matches `topic` (a topic name, without wildcards)."""
        levels = topic.split("/")
        found: list[_T] = []
        nodes = [self._root]
        dollar = topic.startswith("$")
        for depth, level in enumerate(levels):
            wildcards = not (dollar and depth == 0)
            following: list[_Node[_T]] = []
            for node in nodes:
                children = node.children
                if wildcards:
                    multi = children.get("#")
                    if multi is not None:
                        found.extend(multi.values)
                    single = children.get("+")
                    if single is not None:
                        following.append(single)
                exact = children.get(level)
                if exact is not None:
                    following.append(exact)
            if not following:
                return found
            nodes = following
        for node in nodes:
            found.extend(node.values)
            multi = node.children.get("#")
            if multi is not None:
                found.extend(multi.values)
        return found

    def filters(self) -> list[str]:
        """The distinct filters in use, in the order they were first added."""
        return list(self._counts)

    def __contains__(self, topic_filter: object) -> bool:
        return topic_filter in self._counts

    def __len__(self) -> int:
        """The number of distinct filters."""
        return len(self._counts)

    def __iter__(self) -> Iterator[str]:
        return iter(self._counts)
