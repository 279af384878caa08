"""The board's own health as sensors (CPU temperature, load, memory, disk)."""
