"""Warm boots: a firmware snapshot made (`snapshot`) and cached (`store`), restored
(`restore`) with the resident loader (`loader`), the fallback to a cold boot (`boot`) and
the lane's honesty check (`lane`)."""
