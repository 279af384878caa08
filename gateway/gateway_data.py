"""`gw.data`: where components keep their runtime objects, under keys that carry the type.

`DATA_MQTT: Final = DataKey[MqttData]("mqtt")` is a plain string at run time; to mypy,
`gw.data.get(DATA_MQTT)` is `MqttData | None` and `gw.data[DATA_MQTT] = other` is an error,
so no `Any` leaks out of the one bag every component shares.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar, cast

__all__ = ["DataKey", "GatewayData"]

_T = TypeVar("_T")


class DataKey(str, Generic[_T]):
    """A key of `gw.data`; its type parameter is the type of the value kept under it."""

    __slots__ = ()


class GatewayData:
    """A dict whose keys say what their values are (only the methods components use)."""

    __slots__ = ("_values",)

    def __init__(self) -> None:
        self._values: dict[str, object] = {}

    def __getitem__(self, key: DataKey[_T]) -> _T:
        return cast(_T, self._values[key])

    def __setitem__(self, key: DataKey[_T], value: _T) -> None:
        self._values[key] = value

    def __delitem__(self, key: DataKey[Any]) -> None:
        del self._values[key]

    def __contains__(self, key: object) -> bool:
        return key in self._values

    def get(self, key: DataKey[_T]) -> _T | None:
        return cast(_T | None, self._values.get(key))

    def setdefault(self, key: DataKey[_T], default: _T) -> _T:
        return cast(_T, self._values.setdefault(key, default))

    def pop(self, key: DataKey[_T]) -> _T | None:
        return cast(_T | None, self._values.pop(key, None))

    def __repr__(self) -> str:
        return f"GatewayData({sorted(self._values)})"
