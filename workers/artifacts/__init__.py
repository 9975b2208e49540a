"""The image and firmware a boot is given: ESP images built, cached and checked
(`esp`, `espcache`, `image`, `partitioned`), firmware scans remembered (`fwscan`), and
trusting an unchanged file without reading it again (`fileidentity`)."""
