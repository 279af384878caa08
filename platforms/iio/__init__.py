"""The `iio` platform: sensors with a Linux IIO driver, read from sysfs."""
