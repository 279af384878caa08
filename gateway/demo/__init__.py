"""`boardgate demo`: the gateway on embedded defaults, with no hardware and no broker set up.

Mock GPIO pins, a simulated serial thermometer on a pseudo-terminal, a simulated I²C bus (a
BME280 and an MCP23017 expander with a relay and a button), a private broker on a free loopback
port, simulated input activity, and a printed walkthrough of what to watch and try.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import tempfile
from pathlib import Path

from hardware.sim import DemoBoard, mock_board, mock_pin
from hardware.sim.demo_i2c import DemoI2C

from ..bootstrap import async_setup_gateway
from ..config import load_config
from ..const import EVENT_GATEWAY_STOP
from ..core import Event, Gateway, callback
from ..loader import resolve_platform_schema
from ..runner import (
    async_act_on_early_signals,
    install_signal_handlers,
    record_signals_during_setup,
)
from .broker import DemoBroker, start_demo_broker

__all__ = ["run_demo"]

NODE_ID = "demo"
I2C_ID = "sensors"
DOORBELL_PIN = 27
WATER_METER_PIN = 5
EXPANDER_INT_PIN = 4

DEMO_CONFIG = """\
gateway: {{node_id: {node_id}, name: Boardgate demo, state_dir: {state_dir}, health_interval: 30}}
mqtt: {{host: 127.0.0.1, port: {port}, protocol: "{protocol}", keepalive: 15}}
gpio: {{pin_factory: mock}}
serial:
  - {{id: sim, port: {serial_port}, baudrate: 9600, bridge: true}}
i2c:
  - id: {i2c_id}
    bus: simulated
    devices: [{{address: 0x76, model: bme280}}, {{address: 0x20, model: mcp23017}}]
expander:
  - {{id: ext1, model: mcp23017, i2c_id: {i2c_id}, address: 0x20, interrupt_pin: {int_pin}}}
switch:
  - {{platform: gpio, name: Relay, pin: 17, active_high: false}}
  - {{platform: gpio, name: Expander relay, pin: "ext1:A0", active_high: false}}
  - {{platform: virtual, name: Holiday mode}}
light:
  - {{platform: gpio, name: Strip, pin: 18, frequency: 500}}
  - {{platform: gpio, name: Hall light, pin: 22}}
button:
  - {{platform: gpio, name: Gate, pin: 23, pulse: 0.5}}
binary_sensor:
  - {{platform: gpio, name: Doorbell, pin: {doorbell}, pull_up: true, delayed_on: 20ms,
     delayed_off: 20ms, clicks: true}}
  - {{platform: gpio, name: Expander button, pin: "ext1:B0", pull_up: true}}
sensor:
  - {{platform: serial, name: Thermometer, serial_id: sim, value_regex: 'T=([-0-9.]+)',
     unit_of_measurement: "°C", device_class: temperature, state_class: measurement,
     precision: 1}}
  - {{platform: gpio, type: counter, name: Water meter, pin: {meter}, unit_of_measurement: L}}
  - {{platform: i2c, i2c_id: {i2c_id}, model: bme280, address: 0x76, name: Climate,
     scan_interval: 5}}
  - {{platform: system, type: load, name: Load, scan_interval: 10}}
  - {{platform: system, type: memory, name: Memory, scan_interval: 30}}
automation:
  - id: doorbell_light
    mode: restart
    trigger: [{{platform: state, entity_id: binary_sensor.doorbell, to: "ON"}}]
    action:
      - {{service: light.turn_on, entity_id: light.hall_light}}
      - {{delay: 10}}
      - {{service: light.turn_off, entity_id: light.hall_light}}
"""


def run_demo() -> int:
    """Run the demo until Ctrl-C; returns the exit code."""
    for chatty in ("amqtt", "transitions"):  # the embedded broker logs every connection
        logging.getLogger(chatty).setLevel(logging.WARNING)
    return asyncio.run(_async_run_demo())


async def _async_run_demo() -> int:
    loop = asyncio.get_running_loop()
    broker = await start_demo_broker()
    folder = tempfile.TemporaryDirectory(prefix="boardgate-demo-")
    board = DemoBoard()
    i2c = DemoI2C(I2C_ID)
    try:
        config_path = await loop.run_in_executor(
            None, _write_config, Path(folder.name), broker, board.serial_port
        )
        config = await loop.run_in_executor(None, load_config, config_path, resolve_platform_schema)
        lines = await loop.run_in_executor(None, mock_board)
        record_signals_during_setup(loop)
        gw = await async_setup_gateway(config, gpio_lines=lines, i2c_buses={I2C_ID: i2c.bus})
        install_signal_handlers(gw)
        async_act_on_early_signals(gw)
        board.start(gw, mock_pin(lines, DOORBELL_PIN), mock_pin(lines, WATER_METER_PIN))
        i2c.start(gw, mock_pin(lines, EXPANDER_INT_PIN))

        @callback
        def stop_activity(_event: Event) -> None:
            board.stop()
            i2c.stop()

        gw.bus.async_listen_once(EVENT_GATEWAY_STOP, stop_activity)
        _print_web_address(gw)
        _print_walkthrough(broker)
        return await gw.async_wait_stopped()
    finally:
        i2c.stop()
        board.close()
        await broker.stop()
        await loop.run_in_executor(None, folder.cleanup)


def _write_config(folder: Path, broker: DemoBroker, serial_port: str) -> Path:
    path = folder / "demo.yaml"
    path.write_text(
        _web_section()
        + DEMO_CONFIG.format(
            node_id=NODE_ID,
            state_dir=folder / "state",
            port=broker.port,
            protocol=broker.protocol,
            serial_port=serial_port,
            doorbell=DOORBELL_PIN,
            meter=WATER_METER_PIN,
            i2c_id=I2C_ID,
            int_pin=EXPANDER_INT_PIN,
        ),
        encoding="utf-8",
    )
    return path


def _web_section() -> str:
    """The page on a free loopback port, when the `web` extra is installed."""
    return "web: {host: 127.0.0.1, port: 0}\n" if importlib.util.find_spec("aiohttp") else ""


def _print_web_address(gw: Gateway) -> None:
    if gw.config is None or gw.config.web is None:
        return
    from ..web import async_get_server  # the web extra is installed: the config has web:

    server = async_get_server(gw)
    if server is not None:
        print(f"Web page: {server.url}", flush=True)


def _print_walkthrough(broker: DemoBroker) -> None:
    base = f"boardgate/{NODE_ID}"
    pub = f"mosquitto_pub -h 127.0.0.1 -p {broker.port} -t {base}"
    print(
        f"""
Boardgate demo is running: node '{NODE_ID}', broker {broker.name} on 127.0.0.1:{broker.port}
(MQTT {broker.protocol}), mock GPIO pins, a simulated thermometer on a pseudo-terminal, and a
simulated I²C bus '{I2C_ID}' with a BME280 (0x76) and an MCP23017 expander (0x20).

Watch everything it publishes:
  mosquitto_sub -h 127.0.0.1 -p {broker.port} -v -t '{base}/#'

Things to try:
  {pub}/switch/relay/set -m ON
  {pub}/switch/relay/set -m '{{"state":"ON","for":3}}'      # back off after 3 s
  {pub}/light/strip/set -m '{{"state":"ON","brightness":128,"transition":2}}'
  {pub}/switch/expander_relay/set -m ON              # the relay on the expander's pin A0
  {pub}/button/gate/set -m PRESS
  {pub}/serial/sim/tx -m 'hello device'                    # written to the serial port
  {pub}/bridge/request/health -m '{{"transaction":"t1"}}'    # answer on .../bridge/response/health

Simulated activity: the doorbell (GPIO{DOORBELL_PIN}) is pressed every 5 s, which turns the
hall light on for 10 s (an automation) and is a single click on
{base}/event/doorbell/event; the water meter (GPIO{WATER_METER_PIN}) ticks once a second;
the thermometer drifts around 21 °C every 2 s. On the I²C bus, the BME280's climate drifts
(sensor.climate_temperature, _humidity, _pressure, read every 5 s) and the expander's button
on B0 is pressed every 7 s (binary_sensor.expander_button; the expander's INT is wired to
GPIO{EXPANDER_INT_PIN}, so its port is read only when a pin changes).
Watch the I²C sensors:
  mosquitto_sub -h 127.0.0.1 -p {broker.port} -v -t '{base}/sensor/+/state'
Home Assistant on the same broker discovers the device 'Boardgate demo'.
Press Ctrl-C to stop.
""",
        flush=True,
    )
