"""In-memory entities: flags and values for automations, the demo and tests.

A virtual switch or light remembers what it was told; a virtual sensor or binary sensor holds
the value set in the config (or by an automation through `virtual.set_value`).
"""
