"""What a soak's builds say about the lab's scheduling, from their REST records (plain dicts).

Per boot (a child build of a kernel build's fan-out):
  trigger -> boot start   the parent's `boot` (trigger) step start to the child's `boot` step
                          start: scheduling, a free host, download and unpack of the artifact
  boot end -> verdict     the child's `boot` step end to the child build's end, where the
                          parent's fan-out reads the verdict (keep-golden, bisect check)
Buildbot stamps steps in whole seconds: a median of many boots is meaningful, one is not.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass


@dataclass(frozen=True)
class BootTiming:
    builder: str
    worker: str
    result: int
    verdict: str | None
    culprit: str | None
    to_start_s: float  # trigger -> boot start
    to_verdict_s: float  # boot end -> verdict
    boot_s: float  # the boot step itself


def boot_timing(trigger_step: dict, child: dict, child_steps: list[dict], props: dict, builder: str,
                worker: str) -> BootTiming | None:
    """None for a child that never reached its boot step (lost before it started)."""
    boot = next((s for s in child_steps if s["name"] == "boot" and s["started_at"] and s["complete_at"]), None)
    if boot is None or child["complete_at"] is None:
        return None
    return BootTiming(builder, worker, child["results"], props.get("verdict"), props.get("culprit"),
                      float(boot["started_at"] - trigger_step["started_at"]),
                      float(child["complete_at"] - boot["complete_at"]),
                      float(boot["complete_at"] - boot["started_at"]))


@dataclass(frozen=True)
class SoakSummary:
    boots: int
    wall_s: float
    boots_per_min: float
    to_start_median_s: float
    to_start_p90_s: float
    to_verdict_median_s: float
    boot_median_s: float
    lab_errors: int  # ERROR/lab verdicts and Buildbot RETRYs: what the soak must not see
    not_pass: int
    per_worker: dict[str, int]
    verdicts: dict[str, int]  # "PASS", "FAIL/code", "ERROR/host", ...: what the not-PASS boots were


def summarize(boots: list[BootTiming], wall_s: float) -> SoakSummary:
    if not boots:
        raise ValueError("no boot reached its boot step: nothing to summarize (see the master's twistd.log)")
    starts = sorted(b.to_start_s for b in boots)
    per_worker: dict[str, int] = {}
    verdicts: dict[str, int] = {}
    for b in boots:
        per_worker[b.worker] = per_worker.get(b.worker, 0) + 1
        word = f"{b.verdict}/{b.culprit}" if b.culprit else str(b.verdict)
        verdicts[word] = verdicts.get(word, 0) + 1
    return SoakSummary(
        boots=len(boots), wall_s=wall_s, boots_per_min=60 * len(boots) / wall_s,
        to_start_median_s=statistics.median(starts), to_start_p90_s=starts[int(0.9 * (len(starts) - 1))],
        to_verdict_median_s=statistics.median(b.to_verdict_s for b in boots),
        boot_median_s=statistics.median(b.boot_s for b in boots),
        lab_errors=sum(1 for b in boots if (b.verdict, b.culprit) == ("ERROR", "lab") or b.result == 5),
        not_pass=sum(1 for b in boots if b.verdict != "PASS"),
        per_worker=dict(sorted(per_worker.items())), verdicts=dict(sorted(verdicts.items())),
    )
