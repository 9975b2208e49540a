"""Board consoles: serial-over-LAN (`sol`) and a local serial port (`serialport`).

Both implement `ConsoleProtocol` (`base`), so the board session and `bootlab console`
treat them alike: bytes in, bytes out, and gap events when the console dropped.
"""
