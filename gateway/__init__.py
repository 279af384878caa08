"""Boardgate: an asyncio MQTT device gateway for Raspberry Pi-class boards."""

from .const import __version__

__all__ = ["__version__"]
