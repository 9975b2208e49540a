"""The boot record's `result.json`: the contract between worker and master (DESIGN.md).

Written atomically (temp file + rename) so a reader never sees half a record.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lab.conversation import StepHit
from lab.matcher import MilestoneHit
from lab.verdict import Outcome

RESULT = "result.json"


@dataclass
class BootRecord:
    outcome: Outcome
    target: str
    image: dict[str, Any]  # {path, sha256, ...}
    firmware: dict[str, Any]  # identity per role
    qemu: dict[str, Any]  # {version, accel, accel_reason, command, exit_status}
    milestones: list[MilestoneHit | StepHit] = field(default_factory=list)  # steps are milestones too
    milestones_total: int = 0
    duration_s: float = 0.0
    bytes_seen: dict[str, int] = field(default_factory=dict)
    triage: dict[str, Any] | None = None
    deadlines: dict[str, Any] | None = None  # the milestone deadlines used, and the one that decided a hang
    warnings: list[str] = field(default_factory=list)  # unusual but bootable (firmware): the boot went on
    conversation: list[dict[str, Any]] | None = None  # per step: what was sent when, the answer, the exit status

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.outcome.to_dict(),
            "milestones": [hit.to_dict() for hit in self.milestones],
            "milestones_total": self.milestones_total,
            "target": self.target,
            "image": self.image,
            "firmware": self.firmware,
            "qemu": self.qemu,
            "duration_s": round(self.duration_s, 3),
            "bytes_seen": self.bytes_seen,
            "triage": self.triage,
            "deadlines": self.deadlines,
            "warnings": self.warnings,
            "conversation": self.conversation,
        }


def write_result(record_dir: Path, data: dict[str, Any]) -> Path:
    path = record_dir / RESULT
    tmp = record_dir / f".{RESULT}.{os.getpid()}"
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    tmp.replace(path)
    return path
