"""Virtual boards: QEMU behind OpenIPMI's ipmi_sim, so the board path is testable without hardware;
and the kinds without IPMI (`kinds`): a libvirt domain behind sushy-emulator's Redfish with virtual
media and a ser2net console (`redfishboard`, `redfishbmc`, `libvirt`, `labca`, `uart`), and a QEMU
VM on a pdudaemon outlet (`pduboard`, `outlet`).

`ipmisim` (LAN.conf + .emu), `machine` (the VM's settings and QEMU argv), `supervisor` (the
always-on process: serial relay, QEMU's power), `chassis` (the program ipmi_sim runs for
power and boot-device commands), `manager` (`bootlab vboard start|stop|status`).
"""
