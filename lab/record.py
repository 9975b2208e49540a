"""The boot record (`result.json`) and bootlab's progress lines: the contract between a
worker and the master, both directions (written by `workers/`, read by `steps/`).

`result.json` (written atomically, temp file + rename, so a reader never sees half a record):
    verdict, culprit, reason, last_milestone     the Outcome (lab/verdict.py)
    milestones [{name, t, channel, line, ...}] (conversation steps too), milestones_total
    target, image {path, sha256, ...}, firmware {role: identity}, qemu {version, accel, ...} or null
    duration_s, bytes_seen {channel: bytes}, triage {baseline, rule} or null
    deadlines {profile, learned, milestones, decided_by} or null   the milestone deadlines used
    warnings [text]                               unusual but bootable (firmware): the boot went on
    conversation [per step: sent, answer, exit status] or null
    boot_path "cold" | "warm" (QEMU boots), warm {snapshot, restored_s, resumed_s, typed_s, launched_s,
        maps, made_snapshot, warnings} or null: a boot asked to be warm (workers/warm/boot.py)
    boot_path_reason                              why that path: the snapshot, or why it ran cold
    board {...}                                   only for a board's boot (then qemu is null)
    environment {name, qemu, root, host} or null  the QEMU the target ran on, host: the host's distribution
    secure_boot true | false | null               Secure Boot enforcing (null: a board, unknown)

Progress lines, one event a line on bootlab's stderr (`--json` or not a terminal):
    bootlab: milestone <i>/<n> <name> <t>s
    bootlab: verdict <VERDICT> <culprit|-> <reason>
plus free-form `bootlab: <event>` lines a reader may show but does not parse.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rustux_bootlab.lab.contract import RESULT
from rustux_bootlab.lab.conversation import StepHit
from rustux_bootlab.lab.jsonfile import write_json
from rustux_bootlab.lab.matcher import MilestoneHit
from rustux_bootlab.lab.verdict import Culprit, Outcome, Verdict

# Timeline channels of a conversation: what was typed, and the consoles that answer.
CONSOLE_CHANNELS = ("input", "serial")
PREFIX = "bootlab: "

# `bootlab: milestone 5/12 heap-ok 3.41s`
_MILESTONE_RE = re.compile(r"^bootlab: milestone (?P<i>\d+)/(?P<n>\d+) (?P<name>\S+) (?P<t>[0-9.]+)s\s*$")
# `bootlab: verdict FAIL code page fault at 0x401000`
_VERDICT_RE = re.compile(r"^bootlab: verdict (?P<verdict>[A-Z]+) (?P<culprit>\S+)(?: (?P<reason>.*))?$")


class RecordError(ValueError):
    """Text that should be a boot record is not the result.json the contract promises."""


@dataclass
class BootRecord:
    outcome: Outcome
    target: str  # the target's or the board's name
    image: dict[str, Any]  # {path, sha256, ...}
    firmware: dict[str, Any] = field(default_factory=dict)  # identity per role
    qemu: dict[str, Any] | None = field(default_factory=dict)  # {version, accel, accel_reason, command, early_start, exit_status}
    milestones: list[MilestoneHit | StepHit] = field(default_factory=list)  # steps are milestones too
    milestones_total: int = 0
    duration_s: float | None = 0.0
    bytes_seen: dict[str, int] = field(default_factory=dict)
    triage: dict[str, Any] | None = None
    deadlines: dict[str, Any] | None = None  # the milestone deadlines used, and the one that decided a hang
    warnings: list[str] = field(default_factory=list)  # unusual but bootable (firmware): the boot went on
    conversation: list[dict[str, Any]] | None = None  # per step: what was sent when, the answer, the exit status
    boot_path: str | None = None  # a QEMU boot: "cold", or "warm" (restored from a snapshot)
    boot_path_reason: str | None = None  # why that path: the snapshot restored, or why cold
    warm: dict[str, Any] | None = None  # a boot asked to be warm: the snapshot used, or why it ran cold
    board: dict[str, Any] | None = None  # a board's boot: power, console, deploy facts
    boot_time: dict[str, Any] | None = None  # a PASS's steps against the target's last passes (lab.boottime)
    environment: dict[str, Any] | None = None  # a QEMU boot: the environment's name, QEMU and root
    secure_boot: bool | None = None  # a QEMU boot: whether the firmware enforced Secure Boot

    # -- writing ----------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        data = {
            **self.outcome.to_dict(),
            "milestones": [hit.to_dict() for hit in self.milestones],
            "milestones_total": self.milestones_total,
            "target": self.target,
            "image": self.image,
            "firmware": self.firmware,
            "qemu": None if self.board is not None else self.qemu,
            "duration_s": None if self.duration_s is None else round(self.duration_s, 3),
            "bytes_seen": self.bytes_seen,
            "triage": self.triage,
            "deadlines": self.deadlines,
            "warnings": self.warnings,
            "conversation": self.conversation,
            "boot_path": self.boot_path,
            "boot_path_reason": self.boot_path_reason,
            "warm": self.warm,
            "boot_time": self.boot_time,
            "environment": self.environment,
            "secure_boot": self.secure_boot,
        }
        if self.board is not None:
            data["board"] = self.board
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    # -- reading ----------------------------------------------------------------------------
    @classmethod
    def parse(cls, text: str) -> BootRecord:
        """A record from result.json's text (or `bootlab boot --json`'s stdout); milestones and
        steps read back as MilestoneHit (name, t, channel, line)."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as e:
            raise RecordError(f"bootlab printed no result.json on stdout ({e}): is the worker's bootlab too old?") from e
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: Any) -> BootRecord:
        if not isinstance(data, dict) or "verdict" not in data:
            raise RecordError("bootlab's result.json has no `verdict` key")
        try:
            verdict = Verdict(data["verdict"])
        except ValueError as e:
            raise RecordError(f"bootlab's result.json has an unknown verdict {data['verdict']!r}") from e
        try:
            outcome = Outcome(verdict, _culprit(data.get("culprit")), str(data.get("reason") or ""),
                              data.get("last_milestone"))
        except ValueError as e:  # e.g. a FAIL that blames something other than the code
            raise RecordError(f"bootlab's result.json is inconsistent: {e}") from e
        milestones = [(StepHit if m.get("step") else MilestoneHit)(
            str(m.get("name")), float(m.get("t") or 0), str(m.get("channel") or ""), str(m.get("line") or ""))
            for m in data.get("milestones") or []]
        duration = data.get("duration_s")
        return cls(
            outcome=outcome,
            target=str(data.get("target") or ""),
            image=data.get("image") or {},
            firmware=data.get("firmware") or {},
            qemu=data.get("qemu"),
            milestones=milestones,
            milestones_total=int(data.get("milestones_total") or len(milestones)),
            duration_s=float(duration) if duration is not None else None,
            bytes_seen=data.get("bytes_seen") or {},
            triage=data.get("triage") if isinstance(data.get("triage"), dict) else None,
            deadlines=data.get("deadlines"),
            warnings=list(data.get("warnings") or []),
            conversation=data.get("conversation"),
            boot_path=data.get("boot_path"),
            boot_path_reason=data.get("boot_path_reason"),
            warm=data.get("warm") if isinstance(data.get("warm"), dict) else None,
            board=data.get("board"),
            environment=data.get("environment") if isinstance(data.get("environment"), dict) else None,
            secure_boot=data.get("secure_boot") if isinstance(data.get("secure_boot"), bool) else None,
            boot_time=data.get("boot_time") if isinstance(data.get("boot_time"), dict) else None,
        )

    # -- what a reader acts on ----------------------------------------------------------------
    @property
    def reached(self) -> int:
        return len(self.milestones)

    @property
    def slower(self) -> tuple[str, ...]:
        """A PASS's boot-time regressions: `heap: 12 → 19 ms (+58%, p=0.003)`."""
        return tuple(str(line) for line in ((self.boot_time or {}).get("regressions") or ()))

    @property
    def triage_rule(self) -> str | None:
        """bootlab's triage rule, when a FAIL was checked against a baseline."""
        return (self.triage or {}).get("rule")

    def milestone_log(self) -> str:
        """When each milestone was seen and the line that proved it."""
        rows = [f"{hit.t:7.2f} s  {hit.name:<20} {hit.line}\n" for hit in self.milestones]
        missing = self.milestones_total - self.reached
        if missing > 0:
            rows.append(f"{missing} of {self.milestones_total} milestones not reached: {self.outcome.verdict.value}\n")
        if self.triage_rule:
            rows.append(f"triage: {self.triage_rule}\n")
        return "".join(rows)

    def summary(self) -> str:
        """One line: `PASS 12/12 in 6.1 s`, `FAIL after user-entry: page fault`."""
        o = self.outcome
        if o.verdict is Verdict.PASS:
            took = f" in {self.duration_s:.1f} s" if self.duration_s is not None else ""
            steps = sum(isinstance(hit, StepHit) for hit in self.milestones)
            counted = f" ({steps} step{'s' if steps != 1 else ''})" if steps else ""
            slower = f"; slower: {', '.join(self.slower)}" if self.slower else ""
            return f"PASS {self.reached}/{self.milestones_total}{counted}{took}{slower}"
        head = o.verdict.value
        if o.verdict is Verdict.ERROR and o.culprit is not None:
            head = f"ERROR ({o.culprit.value})"
        where = f" after {o.last_milestone}" if o.last_milestone else " before the first milestone"
        if o.verdict is Verdict.MISS:
            where = ""
        return f"{head}{where}: {o.reason}" if o.reason else f"{head}{where}"


def console_log(timeline: str) -> str:
    """A conversation's `console` log from timeline.log: what the steps typed (`>>`, channel
    `input`) and the consoles' lines (`<<`), with times: `  18.478 s  >> serial: echo hello<enter>`."""
    rows = []
    for line in timeline.splitlines():
        stamp, channel, text = line[:8].strip(), line[9:17].strip(), line[18:]  # `<ms:>8> <channel:<8> <line>`
        if stamp.isdigit() and channel in CONSOLE_CHANNELS:
            rows.append(f"{int(stamp) / 1000:8.3f} s  {'>>' if channel == 'input' else '<<'} {text}\n")
    return "".join(rows)


def never_ran(outcome: Outcome, name: str, image: Path, milestones_total: int = 0) -> BootRecord:
    """The record of a boot that was not attempted (MISS) or that the runner could not finish."""
    return BootRecord(outcome, name, {"path": str(image), "sha256": None}, milestones_total=milestones_total)


def write_record(record_dir: Path, record: BootRecord) -> Path:
    return write_json(record_dir / RESULT, None, text=record.to_json())


def read_record(record_dir: Path) -> BootRecord:
    return BootRecord.parse((record_dir / RESULT).read_text())


# -- progress lines ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Progress:
    reached: int
    total: int
    name: str
    t: float

    def summary(self) -> str:
        return f"boot: {self.reached}/{self.total} {self.name}"


def event_line(text: str) -> str:
    return f"{PREFIX}{text}"


def milestone_line(index: int, total: int, hit: MilestoneHit | StepHit) -> str:
    return f"{PREFIX}milestone {index}/{total} {hit.name} {hit.t:.2f}s"


def verdict_line(outcome: Outcome) -> str:
    culprit = outcome.culprit.value if outcome.culprit else "-"
    return f"{PREFIX}verdict {outcome.verdict.value} {culprit} {outcome.reason}"


def parse_progress(line: str) -> Progress | None:
    m = _MILESTONE_RE.match(line)
    if m is None:
        return None
    return Progress(int(m["i"]), int(m["n"]), m["name"], float(m["t"]))


def parse_verdict_line(line: str) -> tuple[Verdict, Culprit | None, str] | None:
    """The final stderr line; lets the live summary show the verdict before stdout arrives."""
    m = _VERDICT_RE.match(line)
    if m is None or m["verdict"] not in Verdict.__members__:
        return None
    culprit = None if m["culprit"] == "-" else _culprit(m["culprit"])
    return Verdict(m["verdict"]), culprit, (m["reason"] or "").strip()


def _culprit(value: str | None) -> Culprit | None:
    if value is None:
        return None
    try:
        return Culprit(value)
    except ValueError as e:
        raise RecordError(f"bootlab reported an unknown culprit {value!r}") from e
