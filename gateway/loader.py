"""Finding components and platforms by name.

A platform for a domain lives in `platforms/<platform>/<domain>.py` and exposes
`PLATFORM_SCHEMA` plus `async_setup_platform(gw, config, async_add_entities,
discovery_info=None)` or `setup_platform(gw, config, add_entities, discovery_info=None)`.
A component (a top-level config key such as `mqtt`) exposes `async_setup(gw, config)` or
`setup(gw, config)`.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from .config.model import Config, EntityConfig
    from .core import Gateway

__all__ = [
    "PLATFORM_PACKAGE",
    "PlatformNotFoundError",
    "async_import_component",
    "async_import_platform",
    "import_component",
    "import_platform",
    "imported",
    "platform_config_warnings",
    "platform_module_name",
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
    name = platform_module_name(domain, platform)
    if not platform.isidentifier():
        raise PlatformNotFoundError(_unknown_platform(domain, platform))
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and name.startswith(exc.name):
            raise PlatformNotFoundError(_unknown_platform(domain, platform)) from None
        raise


def platform_config_warnings(config: Config, environ: Mapping[str, str]) -> list[str]:
    """Warnings that only a platform can give about a valid config (blocking; check-config).

    A platform package may define `config_warnings(config, environ) -> list[str]` in a
    `board_check` module, e.g. gpio pins the board lacks; the config layer knows no boards.
    """
    warnings: list[str] = []
    for platform in sorted({entry.platform for entry in config.entities}):
        if not platform.isidentifier():
            continue
        name = f"{PLATFORM_PACKAGE}.{platform}.board_check"
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        warnings.extend(module.config_warnings(config, environ))
    return warnings


def platform_module_name(domain: str, platform: str) -> str:
    return f"{PLATFORM_PACKAGE}.{platform}.{domain}"


def imported(module_name: str) -> ModuleType | None:
    """The module if it is fully imported already (no I/O: safe in the loop), else None.

    Lets callers skip an executor round trip per entity for a module loaded long ago; a module
    another thread is still importing does not count.
    """
    module = sys.modules.get(module_name)
    if module is None or getattr(module.__spec__, "_initializing", False):
        return None
    return module


async def async_import_component(gw: Gateway, module_name: str) -> ModuleType:
    """`import_component` in the executor, unless the module is imported already."""
    module = imported(module_name)
    if module is None:
        module = await gw.async_add_executor_job(import_component, module_name)
    return module


async def async_import_platform(gw: Gateway, domain: str, platform: str) -> ModuleType:
    """`import_platform` in the executor, unless the module is imported already."""
    module = imported(platform_module_name(domain, platform))
    if module is None:
        module = await gw.async_add_executor_job(import_platform, domain, platform)
    return module


def resolve_platform_schema(domain: str, platform: str) -> Callable[[Any], EntityConfig]:
    """The platform's `PLATFORM_SCHEMA` (config validation's resolver, which checks that what
    it returns is an EntityConfig)."""
    module = import_platform(domain, platform)
    schema: object = getattr(module, "PLATFORM_SCHEMA", None)
    if schema is None:
        raise PlatformNotFoundError(f"platform {platform!r} for {domain} has no PLATFORM_SCHEMA")
    return cast("Callable[[Any], EntityConfig]", schema)


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
