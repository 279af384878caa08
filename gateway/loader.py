"""Finding components and platforms by name.

A platform for a domain lives in `platforms/<platform>/<domain>.py` and exposes
`PLATFORM_SCHEMA` plus `async_setup_platform(gw, config, async_add_entities,
discovery_info=None)` or `setup_platform(gw, config, add_entities, discovery_info=None)`.
A component (a top-level config key such as `mqtt`) exposes `async_setup(gw, config)` or
`setup(gw, config)`.
"""

from __future__ import annotations

import importlib
import threading
from pathlib import Path
from types import ModuleType
from typing import Any

__all__ = [
    "PLATFORM_PACKAGE",
    "PlatformNotFoundError",
    "import_platform",
    "resolve_platform_schema",
]

PLATFORM_PACKAGE = "platforms"
_cache: dict[str, ModuleType] = {}
_lock = threading.Lock()


class PlatformNotFoundError(LookupError):
    """No platform of that name exists for the domain."""


def import_platform(domain: str, platform: str) -> ModuleType:
    """Import `platforms.<platform>.<domain>` (blocking: run it in the executor).

    Raises PlatformNotFoundError when there is no such module; an import error *inside* the
    platform (a missing dependency) propagates unchanged so its message reaches the user.
    """
    name = f"{PLATFORM_PACKAGE}.{platform}.{domain}"
    with _lock:
        if name in _cache:
            return _cache[name]
        if not platform.isidentifier():
            raise PlatformNotFoundError(f"unknown platform {platform!r} for {domain}")
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and name.startswith(exc.name):
                raise PlatformNotFoundError(_unknown_platform(domain, platform)) from None
            raise
        _cache[name] = module
        return module


def resolve_platform_schema(domain: str, platform: str) -> Any:
    """The platform's `PLATFORM_SCHEMA` (config validation's resolver)."""
    module = import_platform(domain, platform)
    schema = getattr(module, "PLATFORM_SCHEMA", None)
    if schema is None:
        raise PlatformNotFoundError(f"platform {platform!r} for {domain} has no PLATFORM_SCHEMA")
    return schema


def available_platforms(domain: str) -> list[str]:
    """Names of the platforms that ship a module for `domain` (for error messages)."""
    package = importlib.import_module(PLATFORM_PACKAGE)
    found: list[str] = []
    for folder in package.__path__:
        for candidate in sorted(Path(folder).iterdir()):
            if (candidate / f"{domain}.py").is_file():
                found.append(candidate.name)
    return found


def _unknown_platform(domain: str, platform: str) -> str:
    known = ", ".join(available_platforms(domain)) or "none"
    return f"unknown platform {platform!r} for {domain} (available: {known})"


def import_component(module_name: str) -> ModuleType:
    """Import a component module (blocking: run it in the executor)."""
    with _lock:
        if module_name not in _cache:
            _cache[module_name] = importlib.import_module(module_name)
        return _cache[module_name]
