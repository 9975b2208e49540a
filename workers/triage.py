"""Env-vs-code triage: when an image FAILs, boot the last known-good image on the same target.

Rules (recorded in result.json `triage.rule`):
- baseline PASS  -> keep FAIL/code: only the new image fails on this target.
- baseline FAIL  -> ERROR/host: the target cannot boot a known-good image either, so
  the failure says nothing about the new code ("target broken: baseline also failed");
  baseline ERROR/firmware or ERROR/host -> ERROR with that culprit, same reasoning.
- baseline ERROR/lab (its image is broken, the run was interrupted) -> inconclusive:
  FAIL/code kept.
Only FAIL is triaged: ERROR already blames the infrastructure and PASS needs nothing.
The baseline's own record lives in `<out>/baseline/`.
"""
from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

from lab.verdict import Culprit, Outcome, Verdict
from workers.boot import BootRequest, BootResult, BootSession
from workers.interrupt import Interrupt
from workers.progress import MachineProgress
from workers.record import write_result

BASELINE_DIR = "baseline"


def boot_with_triage(request: BootRequest, baseline: Path | None, progress: MachineProgress, interrupt: Interrupt) -> BootResult:
    shutil.rmtree(request.out / BASELINE_DIR, ignore_errors=True)  # from an earlier boot into the same --out
    result = BootSession(request, progress, interrupt).run()
    if baseline is None or result.outcome.verdict is not Verdict.FAIL or interrupt:
        return result
    progress.event(f"triage: {result.outcome.summary()}; booting baseline {baseline} on {request.target.name}")
    base_request = replace(request, image=baseline, out=request.out / BASELINE_DIR)
    base = BootSession(base_request, progress, interrupt).run()
    summary = {
        "baseline": {
            "image": base.record.image,
            "verdict": base.outcome.verdict.value,
            "culprit": base.outcome.culprit.value if base.outcome.culprit else None,
            "reason": base.outcome.reason,
            "last_milestone": base.outcome.last_milestone,
            "record": BASELINE_DIR,
        },
    }
    base_outcome = base.outcome
    if base_outcome.verdict is Verdict.PASS:
        summary["rule"] = "baseline passed on the same target: the new image is at fault (FAIL/code kept)"
        outcome = result.outcome
    elif base_outcome.verdict is Verdict.FAIL or base_outcome.culprit in (Culprit.FIRMWARE, Culprit.HOST):
        culprit = Culprit.HOST if base_outcome.verdict is Verdict.FAIL else base_outcome.culprit
        summary["rule"] = f"baseline failed on the same target too: the target is at fault (ERROR/{culprit.value})"
        summary["image_outcome"] = result.outcome.to_dict()
        outcome = Outcome(
            Verdict.ERROR,
            culprit,
            f"target {request.target.name} broken: baseline also failed: {base_outcome.summary()}",
            result.outcome.last_milestone,
        )
    else:
        # The baseline itself could not be booted (bad baseline image, interrupted): no evidence
        # against the target, and the image's own failure stands.
        summary["rule"] = f"baseline not conclusive ({base_outcome.summary()}): FAIL/code kept"
        outcome = result.outcome
    result.record.outcome = outcome
    result.record.triage = summary
    write_result(request.out, result.record.to_dict())
    return BootResult(outcome, result.record, result.out)
