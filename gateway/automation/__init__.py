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
"""

from __future__ import annotations

from collections.abc import Sequence

from ..config.automation import AutomationConfig
from ..core import Gateway
from .automation import STATE_OFF, STATE_ON, Automation
from .component import (
    DOMAIN,
    SERVICE_TRIGGER,
    SERVICE_TURN_OFF,
    SERVICE_TURN_ON,
    AutomationComponent,
)
from .mqtt_link import GatewayMqttLink, MqttLink, MqttMessage
from .triggers import TriggerData

__all__ = [
    "DATA_AUTOMATION",
    "DOMAIN",
    "SERVICE_TRIGGER",
    "SERVICE_TURN_OFF",
    "SERVICE_TURN_ON",
    "STATE_OFF",
    "STATE_ON",
    "Automation",
    "AutomationComponent",
    "GatewayMqttLink",
    "MqttLink",
    "MqttMessage",
    "TriggerData",
    "async_get_component",
    "async_setup",
]

DATA_AUTOMATION = DOMAIN


async def async_setup(
    gw: Gateway,
    configs: Sequence[AutomationConfig],
    link: MqttLink | None = None,
) -> AutomationComponent:
    """Create every automation, register `automation.*` services and turn them on.

    `link` defaults to `gateway.mqtt` (an mqtt trigger without an `mqtt:` section is logged
    and skipped; an `mqtt.publish` action then fails its run).
    """
    component = AutomationComponent(gw, configs, link or GatewayMqttLink(gw))
    gw.data[DATA_AUTOMATION] = component
    component.async_start()
    return component


def async_get_component(gw: Gateway) -> AutomationComponent | None:
    """The component, if it was set up."""
    component: AutomationComponent | None = gw.data.get(DATA_AUTOMATION)
    return component
