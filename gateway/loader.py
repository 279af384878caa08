"""Finding components and platforms by name.

A platform for a domain lives in `platforms/<platform>/<domain>.py` and exposes
`PLATFORM_SCHEMA` plus `async_setup_platform(gw, config, async_add_entities,
discovery_info=None)` or `setup_platform(gw, config, add_entities, discovery_info=None)`.
A component (a top-level config key such as `mqtt`) exposes `async_setup(gw, config)` or
`setup(gw, config)`.
"""

from __future__ import annotations

import importlib
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


class PlatformNotFoundError(LookupError):
    """No platform of that name exists for the domain."""


def import_platform(domain: str, platform: str) -> ModuleType:
    """Import `platforms.<platform>.<domain>` (blocking: run it in the executor).

    Raises PlatformNotFoundError when there is no such module; an import error *inside* the
    platform (a missing dependency) propagates unchanged so its message reaches the user.
    """
    name = f"{PLATFORM_PACKAGE}.{platform}.{domain}"
    if not platform.isidentifier():
        raise PlatformNotFoundError(_unknown_platform(domain, platform))
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and name.startswith(exc.name):
            raise PlatformNotFoundError(_unknown_platform(domain, platform)) from None
        raise


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
    return importlib.import_module(module_name)
