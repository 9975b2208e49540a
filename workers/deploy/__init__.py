"""Getting the image under test onto a board: PXE (`pxe`: TFTP staging, dnsmasq), a USB
stick behind a mux (`usb`: write, read back, hash), locally or on another host over SFTP, or
virtual media through a Redfish BMC (`virtualmedia`: an El Torito ISO served over HTTP)."""
