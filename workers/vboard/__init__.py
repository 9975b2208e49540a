"""Virtual boards: QEMU behind OpenIPMI's ipmi_sim, so the board path is testable without hardware.

`ipmisim` (LAN.conf + .emu), `machine` (the VM's settings and QEMU argv), `supervisor` (the
always-on process: serial relay, QEMU's power), `chassis` (the program ipmi_sim runs for
power and boot-device commands), `manager` (`bootlab vboard start|stop|status`).
"""
