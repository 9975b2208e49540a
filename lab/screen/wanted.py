"""When the boot needs the screen read: a screen milestone is next, or a step waits on it."""
from __future__ import annotations

from lab.matcher import BootMatcher
from lab.spec import SCREEN


def screen_wanted(matcher: BootMatcher) -> bool:
    if matcher.decided is not None:
        return False
    nxt = matcher.next_milestone
    if nxt is not None:
        return SCREEN in nxt.channels
    talk = matcher.conversation
    return talk is not None and talk.step is not None and talk.step.channel == SCREEN

