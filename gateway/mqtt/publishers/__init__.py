"""Publishers: what the gateway says about its entities on MQTT, beyond their own topics.

Each publisher reads the entity registry (the entity components) and the bus
(`state_changed`, reloads, the connection's on-online hook) and publishes in its own
convention; entities know none of them. Each is a component that bootstrap loads by name
only when the config asks for it, so a convention that is off costs nothing:

- `bridge_api`: `<b>/bridge/info`, `<b>/bridge/health` every `health_interval`, and the
  answers to `<b>/bridge/request/<cmd>` (health, info, reload).
- `ha_discovery`: Home Assistant's device-based discovery (`<prefix>/device/<node>/config`),
  re-sent after every `online`, on Home Assistant's birth message and after a reload; the
  payloads themselves are built by the pure `discovery_payloads`.

Homie 5 and Sparkplug B go beside them, each on its own connection.
"""
