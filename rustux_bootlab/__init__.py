"""The installed name of the lab: `rustux_bootlab.lab` (the domain), `.workers` (worker
hosts and `bootlab`), `.steps` (the master's plugin), `.harness` (demo and tests). In the
repository each is a top-level directory; the entries here are symlinks to them."""
