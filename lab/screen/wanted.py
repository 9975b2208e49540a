"""When the boot needs the screen read: a screen milestone is next, or a step waits on it."""
from __future__ import annotations

import re

from rustux_bootlab.lab.matcher import BootMatcher
from rustux_bootlab.lab.spec import SCREEN


def screen_wanted(matcher: BootMatcher) -> bool:
    if matcher.decided is not None:
        return False
    nxt = matcher.next_milestone
    if nxt is not None:
        return SCREEN in nxt.channels
    talk = matcher.conversation
    return talk is not None and talk.step is not None and talk.step.channel == SCREEN


def awaited_on_screen(matcher: BootMatcher) -> list[tuple[str, re.Pattern[str]]]:
    """The regexes a screen line may satisfy now, by name, in order: the milestones still to
    come on the screen (one frame may hold several), or the expected answer of the step the
    conversation waits on; never a fatal signature's (a guessed cell never condemns the kernel)."""
    if matcher.decided is not None:
        return []
    later = matcher.spec.milestones[len(matcher.hits):]
    if later:
        return [(m.name, m.regex) for m in later if SCREEN in m.channels]
    talk = matcher.conversation
    step = talk.step if talk is not None else None
    return [(step.name, step.expect)] if step is not None and step.channel == SCREEN and step.expect is not None else []
