"""Handing freed heap memory back to the operating system (glibc only).

glibc keeps memory that Python freed in its arenas (one per thread that allocated) for reuse;
after a burst, such as start-up with every worker busy, the resident size of an idle daemon stays
megabytes above what it uses. `malloc_trim(0)` releases the free pages of every arena. It takes
about a millisecond and may block on the allocator's locks: call it from a worker thread.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

__all__ = ["release_free_memory"]

_LOGGER = logging.getLogger(__name__)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's `malloc_trim`, or None on other C libraries (musl, macOS)."""
    import ctypes  # here, not at the top: 0.5 MB resident, only needed once memory is released

    try:
        trim: Callable[[int], int] = ctypes.CDLL(None).malloc_trim  # the process's own libc
    except (OSError, AttributeError):
        _LOGGER.debug("No malloc_trim in this C library; freed memory stays with the allocator")
        return None
    return trim


def release_free_memory() -> bool:
    """Release free heap pages to the OS; False where the C library cannot. Blocking."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
