"""Platform `mqtt`: remote devices that speak MQTT (Tasmota, zigbee2mqtt, ESPHome, scripts)
as entities of the gateway, so automations and the gateway's own topics can use them.

```yaml
sensor:
  - {platform: mqtt, name: Outside, state_topic: weather/outside, value_json: temp.current,
     unit_of_measurement: "°C", precision: 1, expire_after: 600}
binary_sensor:
  - {platform: mqtt, name: Garden motion, state_topic: zigbee2mqtt/garden_pir,
     value_json: occupancy, payload_on: true, payload_off: false, device_class: motion}
switch:
  - {platform: mqtt, name: Plug, state_topic: stat/plug/POWER, command_topic: cmnd/plug/POWER,
     availability_topic: tele/plug/LWT, payload_available: Online, payload_not_available: Offline}
light:
  - {platform: mqtt, name: Lamp, state_topic: zigbee2mqtt/lamp,
     command_topic: zigbee2mqtt/lamp/set, brightness_scale: 254}
```
Payloads are data, never code: a value is taken with `value_json` (a dotted path, list indices
allowed) or `value_regex` (the first group), else the whole payload, stripped; `payload_on` and
`payload_off` are compared by value (`device_payloads.same_value`). A payload the entity cannot use
leaves its state as it was (logged at debug, and as a warning at most once per
`IGNORED_WARNING_INTERVAL` per entity). The state is what the device reports on `state_topic`;
without one (or with `optimistic: true`) it is what the gateway last commanded.

Modules: `device_payloads` (pure parsing and encoding), `schema` (shared config fields and checks),
`entity` (subscriptions, availability, `expire_after`), then one module per domain.
"""
