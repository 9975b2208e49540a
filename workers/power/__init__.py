"""Board power: the protocol and its IPMI driver."""
