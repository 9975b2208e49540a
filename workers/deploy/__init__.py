"""Getting the image under test onto a board: PXE (`pxe`: TFTP staging, dnsmasq) or a USB
stick behind a mux (`usb`: write, read back, hash), locally or on another host over SFTP."""
