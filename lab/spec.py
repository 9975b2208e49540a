"""Milestone specs: the YAML that tells the matcher what a good boot looks like.

```yaml
name: rustux
default_timeout: 15          # seconds allowed after the previous milestone
milestones:                  # strictly ordered
  - {name: entry, channel: debugcon, regex: '^!', timeout: 60}
fatal:                       # the kernel is at fault -> FAIL/code
  - {name: panic, channel: any, regex: '\\[PANIC\\] (?P<reason>.*)'}
  - {name: reset, channel: any, regex: 'BdsDxe: loading Boot', after: entry}
  - {name: no-initrd, channel: any, regex: 'no initrd', file: EFI/rustux/initrd.cpio}
                             # file: the line says this image file was missing at boot
infrastructure:              # something else is at fault -> ERROR/<culprit>
  - {name: kvm-internal-error, channel: qemu, regex: 'KVM internal error', culprit: host,
     hint: 'KVM failed: retry with --accel tcg'}   # hint: optional, leads the reason
```

Regexes are Python `re`, compiled with `re.MULTILINE` and searched in each line after
ANSI escapes, CR and NUL bytes are stripped; use `^`/`$` to anchor to the line.
Only the first `LINE_HEAD_BYTES` (see `linebuffer`) of a line are matched.

`screen_font:` (optional): the PSF or `.glyphs` font file the kernel draws its screen in
(absolute, or relative to the spec's directory): the screen reader knows it before its own
(lab/screen/fontset.py), e.g. `/usr/share/consolefonts/Lat2-Terminus16.psf.gz`.

`conversation:` (optional): steps that type into the machine and read its answers after a
milestone; schema and rules in `lab/conversation_spec.py`, behaviour in `lab/conversation.py`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from rustux_bootlab.lab.schema import Node, SchemaError, compose_file
from rustux_bootlab.lab.conversation_spec import ConversationSpec, load_conversation
from rustux_bootlab.lab.verdict import Culprit

# Channels the runner captures. `screen` is the text read from the guest's screen (QEMU
# targets, while a screen milestone or step waits: workers/qemu/screen.py); `any` in a spec
# means every other channel, the streams: a screen repeats its lines frame after frame and
# mirrors what a stream already said, so a spec names it to use it.
SCREEN = "screen"
CHANNELS = ("debugcon", "serial", "firmware", "qemu", SCREEN)
STREAMS = tuple(c for c in CHANNELS if c != SCREEN)
ANY = "any"
DEFAULT_TIMEOUT_S = 15.0


class SpecError(SchemaError):
    """A milestone spec is invalid; names file, line and key."""


@dataclass(frozen=True)
class Milestone:
    name: str
    channels: frozenset[str]
    regex: re.Pattern[str]
    timeout: float  # seconds from the previous milestone (the first: from boot start)


@dataclass(frozen=True)
class FatalSignature:
    name: str
    channels: frozenset[str]
    regex: re.Pattern[str]
    after: str | None = None  # only counts once this milestone was reached
    # The line says this file of the boot image was missing at boot (`EFI/rustux/initrd.cpio`):
    # whose fault depends on whether the artifact had it (lab.judge row 4a).
    file: str | None = None


@dataclass(frozen=True)
class InfraSignature:
    name: str
    channels: frozenset[str]
    regex: re.Pattern[str]
    culprit: Culprit
    hint: str | None = None  # what to do about it; leads the verdict reason
    # Earlier lines that say why, in the firmware's own words (its named groups, joined by
    # ": "): remembered, never decisive; the last one leads the reason when the signature decides.
    cause: re.Pattern[str] | None = None


@dataclass(frozen=True)
class MilestoneSpec:
    name: str
    milestones: tuple[Milestone, ...]
    fatal: tuple[FatalSignature, ...] = ()
    infrastructure: tuple[InfraSignature, ...] = ()
    default_timeout: float = DEFAULT_TIMEOUT_S
    path: str | None = field(default=None, compare=False)
    conversation: ConversationSpec | None = None  # steps after a milestone (lab/conversation_spec.py)
    screen_font: str | None = None  # the font file the kernel's screen is drawn in

    @property
    def total(self) -> int:
        """What a boot of this spec ticks: its milestones and its conversation's steps."""
        return len(self.milestones) + (len(self.conversation.steps) if self.conversation else 0)

    def index(self, name: str) -> int:
        return [m.name for m in self.milestones].index(name)


def load_spec(path: str | Path) -> MilestoneSpec:
    """Load and validate a milestone spec; raises `SpecError` naming file, line and key."""
    root = compose_file(path, SpecError)
    top = root.fields(required=["name", "milestones"], optional=["default_timeout", "fatal", "infrastructure", "conversation", "screen_font"])
    name = top["name"].text()
    default_timeout = top["default_timeout"].number(minimum=0.001) if "default_timeout" in top else DEFAULT_TIMEOUT_S

    milestones: list[Milestone] = []
    entries = top["milestones"].seq()
    if not entries:
        raise top["milestones"].error("needs at least one milestone")
    for node in entries:
        f = node.fields(required=["name", "channel", "regex"], optional=["timeout"])
        mname = _unique(f["name"], [m.name for m in milestones])
        timeout = f["timeout"].number(minimum=0.001) if "timeout" in f else default_timeout
        milestones.append(Milestone(mname, _channels(f["channel"]), f["regex"].regex(re.MULTILINE), timeout))

    names = [m.name for m in milestones]
    fatal: list[FatalSignature] = []
    for node in top["fatal"].seq() if "fatal" in top else []:
        f = node.fields(required=["name", "channel", "regex"], optional=["after", "file"])
        sname = _unique(f["name"], [s.name for s in fatal])
        after = f["after"].choice(names) if "after" in f else None
        file = f["file"].text().strip("/") if "file" in f else None
        fatal.append(FatalSignature(sname, _channels(f["channel"]), f["regex"].regex(re.MULTILINE), after, file))

    infra: list[InfraSignature] = []
    blamable = [c.value for c in Culprit if c is not Culprit.CODE]
    for node in top["infrastructure"].seq() if "infrastructure" in top else []:
        f = node.fields(required=["name", "channel", "regex", "culprit"], optional=["hint"])
        sname = _unique(f["name"], [s.name for s in infra] + [s.name for s in fatal])
        culprit = Culprit(f["culprit"].choice(blamable))
        hint = f["hint"].text() if "hint" in f else None
        infra.append(InfraSignature(sname, _channels(f["channel"]), f["regex"].regex(re.MULTILINE), culprit, hint))

    conversation = None
    if "conversation" in top:
        conversation = load_conversation(top["conversation"], names, CHANNELS, default_timeout)
        taken = [s.name for s in fatal] + [s.name for s in infra]
        clash = next((s for s in conversation.steps if s.name in taken), None)
        if clash is not None:
            raise top["conversation"].error(f"step name {clash.name!r} is also a signature's name: names must be unique")
    screen_font = None
    if "screen_font" in top:
        font = Path(path).parent / top["screen_font"].text()  # an absolute path stays itself
        if not font.is_file():
            raise top["screen_font"].error(f"no font file {font}: name a PSF (.psf, .psf.gz) or .glyphs file")
        screen_font = str(font)
    return MilestoneSpec(name, tuple(milestones), tuple(fatal), tuple(infra), default_timeout, str(path), conversation,
                         screen_font)


def _channels(node: Node) -> frozenset[str]:
    value = node.choice((*CHANNELS, ANY))
    return frozenset(STREAMS) if value == ANY else frozenset([value])


def _unique(node: Node, taken: list[str]) -> str:
    name = node.name()
    if name in taken:
        raise node.error(f"duplicate name {name!r}: names must be unique")
    return name
