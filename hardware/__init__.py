"""Drivers: pin factories, serial ports, 1-wire and sysfs readers, and simulated devices
(`hardware/sim`).

Knows nothing of MQTT, entities or the Gateway, and imports nothing from `gateway` or
`platforms` (import-linter checks it). A driver that needs the loop, the executor or a timer
receives a `loop_services.LoopServices`; it raises `errors.HardwareError` subclasses.
"""
