"""Integrations that turn hardware or remote MQTT devices into entities.

One package per platform; one module per domain it provides (`platforms/gpio/switch.py`).
"""
