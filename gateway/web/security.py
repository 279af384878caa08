"""Who may use the web server, and how: Basic authentication, failed-login limits, and the
rules for requests that change state (JSON only, same origin only).

`LoginLimiter` and the header checks are pure (time passed in); `make_guard` turns them into
the aiohttp middleware.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hmac
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Final
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.typedefs import Middleware

from ..config.web import WebConfig, is_loopback

__all__ = [
    "LOCKOUT_SECONDS",
    "MAX_FAILURES",
    "LoginLimiter",
    "credentials_match",
    "make_guard",
    "parse_basic",
    "same_origin",
]

_LOGGER = logging.getLogger(__name__)
MAX_FAILURES: Final = 5  # failed logins per address within LOCKOUT_SECONDS before a lockout
LOCKOUT_SECONDS: Final = 60.0
MAX_TRACKED: Final = 1024  # addresses remembered; the oldest is forgotten beyond that
SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
REALM: Final = 'Basic realm="Boardgate", charset="UTF-8"'
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class LoginLimiter:
    """Failed logins per client address in a sliding window; memory bounded."""

    def __init__(self, limit: int = MAX_FAILURES, window: float = LOCKOUT_SECONDS) -> None:
        self.limit = limit
        self.window = window
        self._failures: dict[str, list[float]] = {}

    def locked(self, address: str, now: float) -> bool:
        return len(self._recent(address, now)) >= self.limit

    def failed(self, address: str, now: float) -> bool:
        """Count a failure; True when this one locks the address out."""
        recent = self._recent(address, now)
        recent.append(now)
        self._failures[address] = recent
        while len(self._failures) > MAX_TRACKED:
            del self._failures[next(iter(self._failures))]
        return len(recent) == self.limit

    def _recent(self, address: str, now: float) -> list[float]:
        kept = [when for when in self._failures.get(address, ()) if now - when < self.window]
        if kept:
            self._failures[address] = kept
        else:
            self._failures.pop(address, None)
        return kept


def parse_basic(header: str | None) -> tuple[str, str] | None:
    """`Basic base64(user:password)` → (user, password); None for anything else."""
    if not header:
        return None
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        user, sep, password = (
            base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
        )
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (user, password) if sep else None


def credentials_match(given: tuple[str, str], config: WebConfig) -> bool:
    """Both compared in constant time, and both always compared (no early exit on the user)."""
    user_ok = hmac.compare_digest(given[0].encode(), config.username.encode())
    password_ok = hmac.compare_digest(given[1].encode(), (config.password or "").encode())
    return user_ok and password_ok


def same_origin(origin: str, host: str | None) -> bool:
    """Whether an `Origin` header names the host the request was sent to."""
    parts = urlsplit(origin)
    return bool(host) and parts.scheme in ("http", "https") and parts.netloc == host


def make_guard(config: WebConfig, clock: Callable[[], float] = time.monotonic) -> Middleware:
    """The middleware: authentication first, then the rules for state-changing requests."""
    limiter = LoginLimiter()

    @web.middleware
    async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
        if config.password is None and not _loopback_host(request.host):
            # Without a password the server is on loopback; another Host is a page elsewhere
            # that rebound its DNS name to 127.0.0.1 to reach us.
            return _error(403, "unexpected Host header")
        if _needs_login(config, request):
            refused = _check_login(config, request, limiter, clock())
            if refused is not None:
                return refused
        if request.method not in SAFE_METHODS:
            origin = request.headers.get("Origin")
            if origin is not None and not same_origin(origin, request.host):
                _LOGGER.warning(
                    "Web: refused %s %s from origin %s", request.method, request.path, origin
                )
                return _error(403, "cross-origin requests are refused")
            if request.content_type != "application/json":
                return _error(415, "the request must have Content-Type: application/json")
        return await handler(request)

    return guard


@functools.lru_cache(maxsize=64)
def _loopback_host(host: str | None) -> bool:
    """Whether a Host header (`127.0.0.1:8080`, `[::1]:80`, `localhost`) names this machine;
    cached: every request asks, and a page sends the same few."""
    try:
        name = urlsplit(f"//{host or ''}").hostname
    except ValueError:  # a malformed port or bracket
        return False
    return is_loopback(name or "")


def _needs_login(config: WebConfig, request: web.Request) -> bool:
    if config.password is None:
        return False
    return config.metrics_auth or request.path != "/metrics"


def _check_login(
    config: WebConfig, request: web.Request, limiter: LoginLimiter, now: float
) -> web.Response | None:
    address = request.remote or "unknown"
    if limiter.locked(address, now):
        return _error(429, "too many failed logins; try again later", {"Retry-After": "60"})
    given = parse_basic(request.headers.get("Authorization"))
    if given is not None and credentials_match(given, config):
        return None
    if given is not None:
        locked = limiter.failed(address, now)
        _LOGGER.warning(
            "Web: failed login as %r from %s%s",
            given[0][:64],
            address,
            f" ({MAX_FAILURES} failures: locked out for {LOCKOUT_SECONDS:g} s)" if locked else "",
        )
    return _error(401, "authentication required", {"WWW-Authenticate": REALM})


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    body = json.dumps({"status": "error", "error": message}, separators=(",", ":"))
    return web.Response(text=body, status=status, content_type="application/json", headers=headers)
