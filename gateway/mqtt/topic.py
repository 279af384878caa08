"""Pure MQTT topic rules: validating names and filters, and the gateway's topic layout.

No I/O here, so everything is unit-tested without a broker.
"""

from __future__ import annotations

__all__ = [
    "MAX_TOPIC_BYTES",
    "entity_topic",
    "node_topic",
    "validate_filter",
    "validate_topic",
]

MAX_TOPIC_BYTES = 65535


def _check_common(value: str, kind: str) -> None:
    if not isinstance(value, str):
        raise TypeError(f"{kind} must be a str, not {type(value).__name__}")
    if not value:
        raise ValueError(f"{kind} must not be empty")
    if "\0" in value:
        raise ValueError(f"{kind} must not contain NUL: {value!r}")
    if len(value.encode("utf-8", "surrogatepass")) > MAX_TOPIC_BYTES:
        raise ValueError(f"{kind} is longer than {MAX_TOPIC_BYTES} bytes")


def validate_topic(topic: str) -> str:
    """Return `topic` if it can be published to; raises ValueError (or TypeError) if not."""
    _check_common(topic, "topic")
    if "+" in topic or "#" in topic:
        raise ValueError(f"a topic to publish to has no wildcards: {topic!r}")
    return topic


def validate_filter(topic_filter: str) -> str:
    """Return `topic_filter` if it can be subscribed to; raises ValueError (or TypeError).

    `+` must fill a whole level; `#` must fill the last level.
    """
    _check_common(topic_filter, "topic filter")
    levels = topic_filter.split("/")
    for index, level in enumerate(levels):
        if level in ("+", "#"):
            if level == "#" and index != len(levels) - 1:
                raise ValueError(f"'#' must be the last level: {topic_filter!r}")
            continue
        if "+" in level or "#" in level:
            raise ValueError(f"a wildcard must fill a whole level: {topic_filter!r}")
    return topic_filter


def node_topic(base_topic: str, node_id: str) -> str:
    """`<b>`: the prefix of every topic this gateway owns."""
    return f"{base_topic}/{node_id}"


def entity_topic(node_base: str, entity_id: str) -> str:
    """`<e>` = `<b>/<domain>/<object_id>` for `entity_id` (`<domain>.<object_id>`)."""
    domain, _, object_id = entity_id.partition(".")
    return f"{node_base}/{domain}/{object_id}"
