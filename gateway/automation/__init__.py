"""Automations: triggers, conditions and actions that run inside the gateway.

They use only the event bus, the state machine and services, so automations over local
entities keep working while the broker is away; `mqtt` triggers and `mqtt.publish` actions go
through an `MqttLink` (by default `gateway.mqtt`, whose publish queues while offline).

```yaml
automation:
  - id: fan_when_hot
    trigger: [{platform: numeric_state, entity_id: sensor.thermometer, above: 30}]
    condition: [{condition: state, entity_id: switch.relay_1, state: "OFF"}]
    action:
      - {service: switch.turn_on, entity_id: switch.relay_1}
      - {delay: 300}
      - {service: switch.turn_off, entity_id: switch.relay_1}
```

The package itself imports nothing: config validation imports the schema
(`gateway.automation.config`) for every config with automations, and with it this file, so the
runtime (`component`, `automation`, `script`, `triggers`, `conditions`, `mqtt_link`) is imported
only by `async_setup`, in the thread pool.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import import_module
from typing import TYPE_CHECKING, Final

from ..gateway_data import DataKey

if TYPE_CHECKING:
    from ..core import Gateway
    from .component import AutomationComponent
    from .config import AutomationConfig
    from .mqtt_link import MqttLink

__all__ = ["DATA_AUTOMATION", "DOMAIN", "async_get_component", "async_setup"]

DOMAIN: Final = "automation"
DATA_AUTOMATION: Final[DataKey[AutomationComponent]] = DataKey(DOMAIN)


async def async_setup(
    gw: Gateway,
    configs: Sequence[AutomationConfig],
    link: MqttLink | None = None,
) -> AutomationComponent:
    """Create every automation, register `automation.*` services and turn them on.

    `link` defaults to `gateway.mqtt` (an mqtt trigger without an `mqtt:` section is logged
    and skipped; an `mqtt.publish` action then fails its run).
    """
    await gw.async_add_executor_job(import_module, f"{__name__}.component")
    from .component import async_start_automations  # imported just above: no file read here

    return async_start_automations(gw, configs, link)


def async_get_component(gw: Gateway) -> AutomationComponent | None:
    """The component, if it was set up."""
    component: AutomationComponent | None = gw.data.get(DATA_AUTOMATION)
    return component
