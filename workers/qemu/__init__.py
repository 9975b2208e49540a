"""QEMU as a boot target: command line, process lifecycle, QMP."""
