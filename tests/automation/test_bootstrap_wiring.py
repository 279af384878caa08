"""The wiring the lead adds to `gateway/bootstrap.py`, exercised as written there."""

from __future__ import annotations

from pathlib import Path

from gateway.automation import async_get_component
from gateway.automation.config import validate_automation
from gateway.bootstrap import async_setup_component
from gateway.config.model import Config, CoreConfig, GpioConfig
from gateway.core import Gateway
from tests.automation.conftest import ServiceLog


async def test_setup_component_with_config_automations(
    gw: Gateway, service_log: ServiceLog
) -> None:
    automation = validate_automation(
        {
            "id": "wired",
            "trigger": {"platform": "event", "event_type": "go"},
            "action": {"service": "test.record"},
        }
    )
    config = Config(
        Path("boardgate.yaml"),
        CoreConfig("node", "Node", Path("/nonexistent")),
        None,
        GpioConfig(),
        automations=(automation,),
    )
    await async_setup_component(gw, "gateway.automation", config.automations)
    component = async_get_component(gw)
    assert component is not None
    gw.bus.async_fire("go")
    await component.async_wait_idle()
    assert len(service_log.calls) == 1
