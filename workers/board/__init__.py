"""Booting on a board: the lock that takes it, the spec as the board sees it, the session."""
