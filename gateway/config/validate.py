"""Turn a loaded tree into a `Config`, collecting every problem with its position.

voluptuous stops a list at its first bad item and `vol.All` at its first failing validator, so
each section and each list item is validated on its own and every error of every
`MultipleInvalid` is kept. No I/O here: defaults that depend on the machine come from
`HostInfo`, platform schemas from the caller's `resolve_schema`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

import voluptuous as vol

from gateway.config.conventions import validate_homie, validate_sparkplug
from gateway.config.cv import split_expander_pin
from gateway.config.issues import ConfigPath, Issue, Mark, config_error
from gateway.config.model import (
    Config,
    EntityConfig,
    GpioConfig,
    HostInfo,
    PlatformEntry,
    SerialPortConfig,
)
from gateway.config.schema import (
    SECTION_KEYS,
    TOP_LEVEL_KEYS,
    validate_gateway,
    validate_gpio,
    validate_mqtt,
    validate_serial_port,
)
from gateway.config.web import validate_web
from gateway.config.yaml_loader import find_mark
from gateway.domains.registry import CONFIG_DOMAINS

if TYPE_CHECKING:
    from gateway.automation.config import AutomationConfig
    from gateway.config.i2c_config import ExpanderConfig, I2CBusConfig

__all__ = ["NOTHING_TO_RUN", "ResolveSchema", "check_config", "does_something", "validate_config"]

ResolveSchema: TypeAlias = Callable[[str, str], Callable[[Any], EntityConfig]]
"""`(domain, platform) -> PLATFORM_SCHEMA`; raises LookupError(message) for an unknown one."""

_T = TypeVar("_T")
_EXTRA_KEY = "extra keys not allowed"
NOTHING_TO_RUN = (
    "nothing to run: no entity, no automation and no serial port with `bridge: true` "
    "(is the file empty or half-written?)"
)


def does_something(config: Config) -> bool:
    """Whether a config gives the gateway any work: an entity, an automation, or a serial port
    bridged to MQTT. One that does not is an error, so that an empty or truncated file (a
    reload in the middle of a write) is refused instead of removing every entity."""
    return bool(config.entities or config.automations or any(p.bridge for p in config.serial))


def validate_config(
    raw: Any, path: Path, resolve_schema: ResolveSchema, *, host: HostInfo | None = None
) -> Config:
    """Validate a loaded tree (from `load_yaml`, or plain dicts without positions).

    Raises ConfigError with every problem, as `FILE:LINE:COL: dotted.path: message` lines
    sorted by file and position.
    """
    config, issues = check_config(raw, path, resolve_schema, host=host)
    if issues or config is None:
        raise config_error(issues)
    return config


def check_config(
    raw: Any,
    path: Path,
    resolve_schema: ResolveSchema,
    *,
    host: HostInfo | None = None,
    require_work: bool = False,
) -> tuple[Config | None, list[Issue]]:
    """Like `validate_config`, but return the problems (the Config is None when there are any).

    With `require_work`, a config that is otherwise valid but `does_something` not is a
    problem too (a whole file; a fragment checked on its own need not be).
    """
    checker = _Checker(raw, path, host or HostInfo.current(), require_work)
    config = checker.run(resolve_schema)
    return (None if checker.issues else config), checker.issues


class _Checker:
    """One validation run: the tree (for marks) and the problems found so far."""

    def __init__(self, root: Any, path: Path, host: HostInfo, require_work: bool) -> None:
        self.root = {} if root is None else root  # an empty file: refused as doing nothing
        self.path = path
        self.host = host
        self.require_work = require_work
        self.issues: list[Issue] = []
        self.expander_configs: tuple[ExpanderConfig, ...] | None = None
        self.link_ids: dict[str, set[str]] = {"i2c_id": set()}

    def run(self, resolve_schema: ResolveSchema) -> Config | None:
        if not isinstance(self.root, dict):
            self.report((), "expected a mapping of sections (gateway, mqtt, switch, ...)")
            return None
        for key in self.root:
            if key not in TOP_LEVEL_KEYS:
                self.report((key,), _unknown_key(key, TOP_LEVEL_KEYS), key=True)
        config_dir = self.path.parent
        core = self.section("gateway", lambda v: validate_gateway(v, self.host, config_dir))
        core = core or validate_gateway({}, self.host, config_dir)
        mqtt = None
        if "mqtt" in self.root:
            mqtt = self.section("mqtt", lambda v: validate_mqtt(v, core.node_id))
        gpio = self.section("gpio", validate_gpio) or GpioConfig()
        serial, serial_ids = self.serial_ports()
        i2c, self.expander_configs = self.i2c_sections()
        self.link_ids = {"serial_id": serial_ids, "i2c_id": {bus.id for bus in i2c}}
        entities = self.entities(resolve_schema, serial_ids, has_mqtt=mqtt is not None)
        automations = self.automations()
        web = self.section("web", validate_web) if "web" in self.root else None
        config = Config(
            self.path,
            core,
            mqtt,
            gpio,
            serial,
            entities,
            automations,
            i2c,
            self.expander_configs,
            web,
        )
        config = self.conventions(config)
        if self.require_work and not self.issues and not does_something(config):
            self.report((), NOTHING_TO_RUN)
        return config

    def conventions(self, config: Config) -> Config:
        """`homie:` and `sparkplug:`: each speaks through the broker of `mqtt:`."""
        found: dict[str, Any] = {}
        node_id = config.core.node_id
        for name, validate in (("homie", validate_homie), ("sparkplug", validate_sparkplug)):
            if name not in self.root:
                continue
            if config.mqtt is None:
                self.report((name,), "needs the mqtt: section (it uses the same broker)", key=True)
            found[name] = self.section(name, functools.partial(validate, node_id=node_id))
        return replace(config, **found) if found else config

    # --- reporting

    def report(self, path: ConfigPath, message: str, *, key: bool = False) -> None:
        mark = find_mark(self.root, path, key=key) or Mark(str(self.path), 1, 1)
        self.issues.append(Issue(mark, path, message))

    def report_invalid(
        self, prefix: ConfigPath, exc: vol.Invalid, known_keys: Sequence[str] = ()
    ) -> None:
        for error in _flatten(exc):
            relative = tuple(_segment(part) for part in error.path)
            extra = error.error_message == _EXTRA_KEY and bool(relative)
            if extra:
                message = _unknown_key(relative[-1], known_keys if len(relative) == 1 else ())
            else:
                message = error.error_message
            self.report((*prefix, *relative), message, key=extra)

    def source(self, path: ConfigPath) -> str:
        mark = find_mark(self.root, path) or Mark(str(self.path), 1, 1)
        return f"{mark.file}:{mark.line}"

    # --- sections

    def section(self, name: str, validate: Callable[[Any], _T]) -> _T | None:
        value = self.root.get(name)
        if value is None:
            value = {}  # `mqtt:` with nothing under it means all defaults
        if not isinstance(value, dict):
            self.report((name,), "expected a mapping")
            return None
        try:
            return validate(value)
        except vol.Invalid as exc:
            self.report_invalid((name,), exc, SECTION_KEYS[name])
            return None

    def items(self, name: str) -> Iterator[tuple[ConfigPath, Any]]:
        value = self.root.get(name)
        if value is None:
            return
        if not isinstance(value, list):
            self.report((name,), "expected a list (one '- ' item per entry)")
            return
        for index, item in enumerate(value):
            if isinstance(item, dict):
                yield (name, index), item
            else:
                self.report((name, index), "expected a mapping")

    def serial_ports(self) -> tuple[tuple[SerialPortConfig, ...], set[str]]:
        """The valid ports, and every id written: an entity naming a port that has another
        error is not reported as well."""
        ports: list[SerialPortConfig] = []
        first: dict[str, str] = {}
        for path, item in self.items("serial"):
            port_id = item.get("id")
            if isinstance(port_id, str) and port_id in first:
                self.report((*path, "id"), f"duplicate serial port id (first at {first[port_id]})")
                continue
            if isinstance(port_id, str):
                first[port_id] = self.source(path)
            try:
                ports.append(validate_serial_port(item))
            except vol.Invalid as exc:
                self.report_invalid(path, exc, SECTION_KEYS["serial"])
        return tuple(ports), set(first)

    def i2c_sections(self) -> tuple[tuple[I2CBusConfig, ...], tuple[ExpanderConfig, ...]]:
        """`i2c:` and `expander:`; their module is imported only when one of them is there."""
        if "i2c" not in self.root and "expander" not in self.root:
            return (), ()
        from gateway.config.i2c_sections import check_i2c_sections

        return check_i2c_sections(self)

    def automations(self) -> tuple[AutomationConfig, ...]:
        """Each automation on its own; ids are unique, the second use is the error.

        The automation schemas are imported only for a config that has automations: the
        daemon keeps every imported module resident for its whole life.
        """
        items = list(self.items("automation"))
        if not items:
            return ()
        from gateway.automation.config import AUTOMATION_KEYS, mqtt_paths, validate_automation

        found: list[AutomationConfig] = []
        first: dict[str, str] = {}
        for path, item in items:
            automation_id = item.get("id")
            if isinstance(automation_id, str) and automation_id in first:
                where = first[automation_id]
                self.report((*path, "id"), f"duplicate automation id (first at {where})")
                continue
            if isinstance(automation_id, str):
                first[automation_id] = self.source(path)
            try:
                automation = validate_automation(item, self.source(path))
            except vol.Invalid as exc:
                self.report_invalid(path, exc, AUTOMATION_KEYS)
                continue
            if "mqtt" not in self.root:
                for used in mqtt_paths(automation):
                    self.report((*path, *used), "uses MQTT, but there is no mqtt: section")
            found.append(automation)
        return tuple(found)

    # --- entities

    def entities(
        self, resolve_schema: ResolveSchema, serial_ids: set[str], *, has_mqtt: bool
    ) -> tuple[PlatformEntry, ...]:
        located: list[tuple[ConfigPath, PlatformEntry]] = []
        for domain in CONFIG_DOMAINS:
            first: dict[str, str] = {}
            for path, item in self.items(domain):
                entry = self.entity(path, item, resolve_schema)
                if (
                    entry
                    and self.unique(entry, path, item, first)
                    and self.linked(entry, path, serial_ids)
                    and self.reachable(entry, path, has_mqtt)
                ):
                    located.append((path, entry))
        self.exclusive(located)
        self.interlocked(located)
        return tuple(entry for _, entry in located)

    def interlocked(self, located: Sequence[tuple[ConfigPath, PlatformEntry]]) -> None:
        """Report interlocks naming unknown switches or not named back."""
        if not any(getattr(entry.config, "interlock", None) for _, entry in located):
            return
        from gateway.config.interlocks import find_interlock_problems  # only when used

        path_of = {id(entry): path for path, entry in located}
        for entry, message in find_interlock_problems(entry for _, entry in located):
            self.report((*path_of[id(entry)], "interlock"), message)

    def exclusive(self, located: Sequence[tuple[ConfigPath, PlatformEntry]]) -> None:
        """Report hardware (a GPIO pin, say) that two entities (or an expander's interrupt
        pin and an entity) claim."""
        path_of = {id(entry): path for path, entry in located}
        claimed = [entry for _, entry in located]
        if self.expander_configs:
            from gateway.config.i2c_sections import interrupt_pin_entries

            pins = interrupt_pin_entries(self)
            path_of.update({id(entry): path for path, entry in pins})
            claimed = [entry for _, entry in pins] + claimed
        for entry, key, message in find_claim_conflicts(claimed):
            self.report((*path_of[id(entry)], key), message)

    def entity(
        self, path: ConfigPath, item: dict[Any, Any], resolve_schema: ResolveSchema
    ) -> PlatformEntry | None:
        domain = str(path[0])
        platform = item.get("platform")
        if not isinstance(platform, str) or not platform.strip():
            missing = "platform" not in item
            self.report(
                (*path, "platform"),
                "required key not provided" if missing else "expected a platform name",
            )
            return None
        try:
            schema = resolve_schema(domain, platform)
        except LookupError as exc:
            message = str(exc.args[0]) if exc.args else f"unknown platform {platform!r}"
            self.report((*path, "platform"), message)
            return None
        try:
            config = schema(item)
        except vol.Invalid as exc:
            self.report_invalid(path, exc, getattr(schema, "known_keys", ()))
            return None
        if not isinstance(config, EntityConfig):
            raise TypeError(f"{domain}.{platform}: PLATFORM_SCHEMA must return an EntityConfig")
        return PlatformEntry(domain, platform, config, self.source(path))

    def unique(
        self, entry: PlatformEntry, path: ConfigPath, item: dict[Any, Any], first: dict[str, str]
    ) -> bool:
        """Ids are unique within a domain; the second use is the error."""
        entity_id = entry.config.id
        if entity_id not in first:
            first[entity_id] = entry.source
            return True
        if "id" in item:
            self.report((*path, "id"), f"duplicate id {entity_id!r} (first at {first[entity_id]})")
        else:
            message = f"duplicate id {entity_id!r} made from the name (first at {first[entity_id]})"
            self.report((*path, "name"), f"{message}: add a distinct id")
        return False

    def reachable(self, entry: PlatformEntry, path: ConfigPath, has_mqtt: bool) -> bool:
        """A remote MQTT device needs the `mqtt:` section."""
        if entry.platform != "mqtt" or has_mqtt:
            return True
        self.report((*path, "platform"), "uses MQTT, but there is no mqtt: section")
        return False

    def linked(self, entry: PlatformEntry, path: ConfigPath, serial_ids: set[str]) -> bool:
        """Ids of other sections (a serial port, an I²C bus, an expander) must be declared."""
        for key, what in (("serial_id", "serial port"), ("i2c_id", "I²C bus")):
            wanted = getattr(entry.config, key, None)
            declared = serial_ids if key == "serial_id" else self.link_ids[key]
            if wanted is not None and wanted not in declared:
                listed = ", ".join(sorted(declared)) or "none"
                self.report((*path, key), f"unknown {what} (declared: {listed})")
                return False
        pin = getattr(entry.config, "pin", None)
        if pin is not None and (on_expander := split_expander_pin(pin)) is not None:
            from gateway.config.i2c_sections import expander_pin_problem

            problem = expander_pin_problem(entry, on_expander, self.expander_configs or ())
            if problem is not None:
                self.report((*path, "pin"), problem)
                return False
        return True


def _flatten(exc: vol.Invalid) -> Iterator[vol.Invalid]:
    if isinstance(exc, vol.MultipleInvalid):
        for error in exc.errors:
            yield from _flatten(error)
    else:
        yield exc


def _segment(part: Hashable) -> Hashable:
    """voluptuous puts the `Required` marker itself in the path of a missing key."""
    return part.schema if isinstance(part, vol.Marker) else part


def _unknown_key(key: Hashable, known: Sequence[str]) -> str:
    if not known:
        return "unknown key"
    import difflib  # only when a config has a typo

    close = difflib.get_close_matches(str(key), known, n=1)
    if close:
        return f"unknown key (did you mean {close[0]}?)"
    return f"unknown key (expected one of: {', '.join(known)})"


def find_claim_conflicts(
    entries: Iterable[PlatformEntry],
) -> list[tuple[PlatformEntry, str, str]]:
    """Each entry that claims a resource an earlier entry claimed: (entry, key, message)."""
    owners: dict[str, PlatformEntry] = {}
    conflicts: list[tuple[PlatformEntry, str, str]] = []
    for entry in entries:
        for key, resource, description in entry.config.claims():
            first = owners.setdefault(resource, entry)
            if first is not entry:
                owner = f"{first.domain}.{first.config.id} ({first.source})"
                conflicts.append((entry, key, f"{description} is already used by {owner}"))
    return conflicts
