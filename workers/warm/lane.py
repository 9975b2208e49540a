"""The warm lane on disk: `$BOOTLAB_STATE/<target>/warm-lane.json` (lab/warmlane.py's rules),
changed under its flock and written atomically (workers/state.py's StateFile)."""
from __future__ import annotations

from rustux_bootlab.lab.warmlane import WarmLane, WarmLaneError
from rustux_bootlab.workers.state import StateFile

LANES = StateFile("warm-lane.json", WarmLane.from_dict, WarmLane, WarmLaneError, "turns the warm lane of {name} on")
