"""Board power: the protocol (`base`) and its drivers: IPMI (`ipmi`), Redfish (`redfish`), a PDU
outlet through pdudaemon (`pdu`); `drivers` picks one by the inventory's `bmc.protocol`."""
