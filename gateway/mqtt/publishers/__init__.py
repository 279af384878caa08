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

- `homie`: the board as a Homie 5 device (`homie_model` builds the description and parses
  `.../set`; `homie_removal` clears a device whose section was removed).
- `sparkplug`: the board as a Sparkplug B 3.0 edge node (`sparkplug.payloads` encodes).

Homie and Sparkplug each need their own will and session, so each has its own connection
(`convention_link.ConventionLink`); `convention_entities` is what both know of an entity.
"""
