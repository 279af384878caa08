"""The exception hierarchy: one base, small subclasses."""

from __future__ import annotations


class GatewayError(Exception):
    """Base of every error Boardgate raises on purpose."""


class ConfigError(GatewayError):
    """The configuration is invalid; carries every error found."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


class ServiceNotFound(GatewayError):
    """A service call named a domain/service pair that is not registered."""

    def __init__(self, domain: str, service: str) -> None:
        super().__init__(f"service {domain}.{service} not found")
        self.domain = domain
        self.service = service


class InvalidEntityId(GatewayError):
    """An entity id is not of the form `<domain>.<id>`."""


class BlockingCallError(GatewayError, RuntimeError):
    """A blocking call was made in the event loop thread (debug mode)."""
