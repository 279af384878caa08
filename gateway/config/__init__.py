"""Configuration: YAML with positions, voluptuous schemas, typed dataclasses.

`load_config` is the entry point (blocking: run it in a thread from the loop). Every problem,
from a YAML syntax error to an unknown serial port, is reported in one `ConfigError` as
`FILE:LINE:COL: dotted.path: message` lines.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from pathlib import Path

from gateway.config.cv import PlatformSchema, platform_schema
from gateway.config.issues import ConfigPath, Issue, Mark, config_error, format_issues
from gateway.config.model import (
    Config,
    CoreConfig,
    DiscoveryConfig,
    EntityConfig,
    GpioConfig,
    HostInfo,
    MqttConfig,
    PlatformEntry,
    SerialPortConfig,
    TlsConfig,
)
from gateway.config.validate import ResolveSchema, check_config, validate_config
from gateway.config.yaml_loader import NodeDict, NodeList, find_mark, load_document, load_yaml

__all__ = [
    "Config",
    "CoreConfig",
    "DiscoveryConfig",
    "EntityConfig",
    "GpioConfig",
    "HostInfo",
    "Issue",
    "Mark",
    "MqttConfig",
    "NodeDict",
    "NodeList",
    "PlatformEntry",
    "PlatformSchema",
    "ResolveSchema",
    "SerialPortConfig",
    "TlsConfig",
    "check_config",
    "find_mark",
    "format_issues",
    "load_config",
    "load_document",
    "load_yaml",
    "platform_schema",
    "validate_config",
]


def load_config(
    path: Path, resolve_schema: ResolveSchema, *, host: HostInfo | None = None
) -> Config:
    """Load, resolve tags in, and validate a configuration file.

    Raises ConfigError with every problem found (`FILE: cannot read: reason` when the file
    itself cannot be read); a file that gives the gateway nothing to do (empty, or cut short
    before its first entity) is one of them. `host` supplies the host name, user and
    environment that defaults and `!env_var` depend on (the running process's when None).
    """
    host = host or HostInfo.current()
    loaded = load_document(path, environ=host.environ)
    config, issues = check_config(
        loaded.root, path, resolve_schema, host=host, require_work=not loaded.issues
    )
    # A value the loader could not build is None in the tree: what the schema says about it
    # only repeats the loader's message.
    issues = [issue for issue in issues if not _under(issue.path, loaded.invalid_paths)]
    if loaded.issues or issues or config is None:
        raise config_error([*loaded.issues, *issues])
    return config


def _under(path: tuple[Hashable, ...] | None, prefixes: Iterable[ConfigPath]) -> bool:
    return path is not None and any(path[: len(prefix)] == prefix for prefix in prefixes)
