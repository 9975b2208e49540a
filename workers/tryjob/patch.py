"""What one try sends: this checkout's patch against the master's branch, and the job that
carries it to the try scheduler with the properties the lab's builds read (`try_id` to find
them again, `try_targets` to boot only those). `bootlab try` (workers/bootlab/trypatch.py) is
its command line."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

from rustux_bootlab.lab.contract import KERNEL_BUILDER
from rustux_bootlab.lab.inventory import LabInfo
from rustux_bootlab.workers.tryjob.client import TryJob
from rustux_bootlab.workers.tryjob.source import TrySource, checkout_root, read_source


@dataclass(frozen=True)
class TryPatch:
    source: TrySource
    job: TryJob
    try_id: str


def try_patch(cwd: Path, lab: LabInfo, branch: str | None, targets: list[str]) -> TryPatch:
    """The try of the checkout around `cwd`; `SourceError` when it has nothing to send."""
    root = checkout_root(cwd)
    source = read_source(root, branch or lab.kernel_branch or "main")
    try_id = uuid.uuid4().hex
    properties: dict[str, object] = {"try_id": try_id}
    if targets:
        properties["try_targets"] = list(targets)
    job = TryJob(branch=source.branch, base=source.base, patch=source.patch,
                 repository=lab.kernel_repo or str(root), builder=KERNEL_BUILDER,
                 author=source.author, subject=source.subject, properties=properties)
    return TryPatch(source, job, try_id)
