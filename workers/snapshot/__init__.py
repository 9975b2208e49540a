"""Firmware snapshots for warm boots: the cache (store.py) and their making (create.py)."""
