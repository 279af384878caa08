"""The `hwmon` platform: hardware monitoring chips (SoC temperature, fans, voltages)."""
