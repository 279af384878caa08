"""Sparkplug B payloads for our edge node: metric definitions, NBIRTH/NDATA/NDEATH encoding and
NCMD decoding. Pure (no I/O); the protobuf classes come from `boardgate_sparkplug_b.proto`.

Every entity is a metric named `<domain>/<id>`: Boolean for on/off domains and buttons, Int64
or Double for numeric sensors, String otherwise, its unit in the `engUnit` property. A light
also has `light/<id> brightness` (Int64, 0-255; a separate name rather than a folder, as a
tag cannot also be a folder in most hosts). The node's own metrics are `bdSeq` and
`Node Control/Rebirth`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final

from ....const import STATE_ON
from ....exceptions import GatewayError
from ..convention_entities import ConventionEntity, Value, state_value

try:
    from . import boardgate_sparkplug_b_pb2 as pb
except Exception as err:  # protobuf missing (ImportError) or too old (its VersionError)
    raise GatewayError(
        f"sparkplug: needs protobuf >= 7.35 ({err}); install it: pip install 'boardgate[sparkplug]'"
    ) from err

__all__ = [
    "BDSEQ",
    "BOOLEAN",
    "DOUBLE",
    "INT64",
    "REBIRTH",
    "STRING",
    "MetricDef",
    "decode_command",
    "encode_birth",
    "encode_data",
    "encode_death",
    "metrics_of",
]

INT64: Final = 4
DOUBLE: Final = 10
BOOLEAN: Final = 11
STRING: Final = 12
BDSEQ: Final = "bdSeq"
REBIRTH: Final = "Node Control/Rebirth"
_KIND_TYPES: Final = {"boolean": BOOLEAN, "integer": INT64, "float": DOUBLE, "string": STRING}
_INT64_RANGE = (-(2**63), 2**63 - 1)


@dataclass(frozen=True, slots=True)
class MetricDef:
    """One metric of an entity: its name, datatype, unit, and which value of the entity."""

    name: str
    datatype: int
    entity: ConventionEntity | None = None
    unit: str | None = None
    brightness: bool = False  # the light's brightness rather than its on/off

    @property
    def writable(self) -> bool:
        return self.entity is not None and self.entity.settable

    def read(self, state: Any) -> Value:
        """The metric's value for the entity's `State` (None: null)."""
        if self.entity is None:
            return None
        value = state_value(self.entity, state)
        if not self.brightness or value is None:
            return value
        level = state.attributes.get("brightness") if state.state == STATE_ON else 0
        return level if isinstance(level, int) else 0


def metrics_of(entity: ConventionEntity) -> list[MetricDef]:
    name = f"{entity.domain}/{entity.object_id}"
    metrics = [MetricDef(name, _KIND_TYPES[entity.kind], entity, entity.unit)]
    if entity.domain == "light":
        metrics.append(MetricDef(f"{name} brightness", INT64, entity, brightness=True))
    return metrics


def _set_value(metric: Any, datatype: int, value: Value) -> None:
    """Fill a protobuf Metric's value; a value that does not fit its type is a null."""
    if value is None:
        metric.is_null = True
    elif datatype == BOOLEAN:
        metric.boolean_value = bool(value)
    elif datatype == INT64 and isinstance(value, int | float) and float(value).is_integer():
        number = int(value)
        if not _INT64_RANGE[0] <= number <= _INT64_RANGE[1]:
            metric.is_null = True
        else:
            metric.long_value = number & 0xFFFFFFFFFFFFFFFF  # two's complement in a uint64
    elif datatype == DOUBLE and isinstance(value, int | float) and math.isfinite(value):
        metric.double_value = float(value)
    elif datatype == STRING:
        metric.string_value = str(value)
    else:
        metric.is_null = True


def _add(payload: Any, name: str, datatype: int, value: Value, timestamp: int) -> Any:
    metric = payload.metrics.add()
    metric.name = name
    metric.datatype = datatype
    metric.timestamp = timestamp
    _set_value(metric, datatype, value)
    return metric


def encode_death(bd_seq: int, timestamp: int) -> bytes:
    """NDEATH: the bdSeq alone (no seq), as the will and the goodbye."""
    payload = pb.Payload(timestamp=timestamp)
    _add(payload, BDSEQ, INT64, bd_seq, timestamp)
    data: bytes = payload.SerializeToString()
    return data


def encode_birth(bd_seq: int, timestamp: int, metrics: Sequence[tuple[MetricDef, Value]]) -> bytes:
    """NBIRTH: seq 0, bdSeq, `Node Control/Rebirth` = false, then every metric and value."""
    payload = pb.Payload(timestamp=timestamp, seq=0)
    _add(payload, BDSEQ, INT64, bd_seq, timestamp)
    _add(payload, REBIRTH, BOOLEAN, False, timestamp)
    for definition, value in metrics:
        metric = _add(payload, definition.name, definition.datatype, value, timestamp)
        if definition.unit:
            metric.properties.keys.append("engUnit")
            unit = metric.properties.values.add()
            unit.type = STRING
            unit.string_value = definition.unit
    data: bytes = payload.SerializeToString()
    return data


def encode_data(seq: int, timestamp: int, metrics: Iterable[tuple[MetricDef, Value]]) -> bytes:
    """NDATA: the metrics that changed, with the next seq."""
    payload = pb.Payload(timestamp=timestamp, seq=seq)
    for definition, value in metrics:
        _add(payload, definition.name, definition.datatype, value, timestamp)
    data: bytes = payload.SerializeToString()
    return data


@dataclass(frozen=True, slots=True)
class Write:
    """One metric of an NCMD: its name and value (None when null or of no known type)."""

    name: str
    value: bool | int | float | str | None


def decode_command(raw: bytes) -> list[Write]:
    """The metrics an NCMD asks to write; raises ValueError when it is not a payload."""
    try:
        payload = pb.Payload.FromString(raw)
    except Exception as err:  # protobuf's DecodeError, whatever the bytes
        raise ValueError("not a Sparkplug B payload") from err
    writes: list[Write] = []
    for metric in payload.metrics:
        kind = metric.WhichOneof("value")
        value = None if kind is None or metric.is_null else getattr(metric, kind)
        if kind == "long_value" and value is not None and value >= 2**63:
            value -= 2**64  # Int64 in two's complement
        if isinstance(value, bytes):
            value = None
        writes.append(Write(metric.name, value))
    return writes
