"""The chaos soak's short form (harness/chaos/, `make chaos` in full): a fixed seed, the fault
intervals and holds halved, two kernel builds (the second the known-bad change, sent with `bootlab try`) over the
lab across hosts while the nemesis injects its faults; the checker then finds nothing lost,
nothing reported twice, no false FAIL, nothing stuck and nothing left behind. Real masters,
workers, QEMU, ipmi_sim, dnsmasq, PostgreSQL, crossbar, iptables and tc; needs root.
"""
from __future__ import annotations

import pytest

from rustux_bootlab.harness.chaos.run import report, soak
from tests.integration import hosts_support  # noqa: F401 (crossbar's venv is this machine's, set before conftest moves the cache)

pytestmark = [pytest.mark.hosts, pytest.mark.slow, pytest.mark.qemu]

# Its schedule, scaled by 0.5 (a fault every 15-60 s): the ui master killed, qemu-2's disk full,
# workers of both kinds killed, partitions, a flaky link, and crossbar paused only near the end:
# each fault that restarts the engine costs the kernel build in flight, which would stretch CI.
SEED, SCALE = 7, 0.5


def test_a_seeded_storm_of_faults_loses_nothing_and_leaves_nothing_behind():
    result = soak(SEED, boots=10, scale=SCALE, bad_every=2, log=print, minutes=10, min_faults=3)
    print(report(result))
    c = result.counts
    assert c.ok(), report(result)
    assert c.line() == "lost=0 duplicated=0 false_fail=0 stuck=0 orphans=0"
    # every boot has its verdict; the known-bad build's are FAIL/code (or ERROR where a fault hit: never PASS)
    # (a fast machine builds on past the 10 boots until the third fault began)
    assert c.boots == 5 * result.kernel_builds >= 10 and c.verdicts.get("FAIL", 0) >= 1 and c.missed_bad == 0, c.verdicts
    assert len(result.faults) >= 3 and all(r.error is None for r in result.faults), [r.describe() for r in result.faults]
