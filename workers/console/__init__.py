"""Board consoles: serial-over-LAN (`sol`), a local serial port (`serialport`) and a port
behind a terminal server such as ser2net, over RFC 2217 or raw TCP (`netconsole`).

All implement `ConsoleProtocol` (`base`), so the board session and `bootlab console`
treat them alike: bytes in, bytes out, and gap events when the console dropped.
"""
