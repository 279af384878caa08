"""Small helpers with no dependency on the core."""
