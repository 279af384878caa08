"""1-wire sensors (DS18B20) read through the kernel's w1 sysfs tree."""
