"""Drivers: pin factories, serial ports, 1-wire and sysfs readers, simulated devices.

Knows nothing of MQTT or entities.
"""
