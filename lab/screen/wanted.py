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


def spec_uses_screen(matcher: BootMatcher) -> bool:
    """Whether anything in the spec is read from the screen at all."""
    spec = matcher.spec
    steps = spec.conversation.steps if spec.conversation is not None else ()
    return any(SCREEN in m.channels for m in spec.milestones) or any(s.channel == SCREEN for s in steps)
