"""The nemesis' fault schedule, made from a seed alone: `plan(seed, ...)` twice gives the same
list, so a run that broke is replayed with `make chaos SEED=N` (same seed, same BOOTS and SCALE).

The menu (issue 24), each fault held for a drawn time and then healed:
  kill    SIGKILL a process (held: the time its service manager takes to start it again)
  stop    SIGSTOP a process for 10-60 s, then SIGCONT
  db-stop PostgreSQL stopped for 15-60 s
  partition a host cut off silently (iptables DROP both ways) for 10-120 s
  flaky   random loss on a host's link (iptables `statistic`) for 60 s
  slow    a host's link through `tc tbf` at a modem's rate for 60 s
  disk-full the QEMU host's scratch disk filled for 20-60 s
The process faults hit a QEMU worker, a board controller's worker, the engine or ui master,
crossbar, dnsmasq or a BMC. One fault every 30-120 s; `scale` shrinks the intervals and the
holds together (the short CI form), never below a second.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

INTERVAL_S = (30.0, 120.0)
HOLD_S = {"kill": (5.0, 5.0), "stop": (10.0, 60.0), "db-stop": (15.0, 60.0), "partition": (10.0, 120.0),
          "flaky": (60.0, 60.0), "slow": (60.0, 60.0), "disk-full": (20.0, 60.0)}
PROCESS_KINDS = ("kill", "stop")
LINK_KINDS = ("partition", "flaky", "slow")


@dataclass(frozen=True)
class Victims:
    """What each fault can hit in this lab, named as the nemesis finds them."""

    processes: tuple[str, ...]  # e.g. "worker:qemu-2", "master:engine", "crossbar", "dnsmasq", "bmc:vboard-1"
    hosts: tuple[str, ...]  # hosts a link fault can cut from the masters
    disks: tuple[str, ...]  # hosts whose scratch disk can be filled


@dataclass(frozen=True)
class Fault:
    at_s: float  # after the start of the run
    kind: str
    victim: str
    hold_s: float

    def describe(self) -> str:
        return f"t+{self.at_s:6.0f}s {self.kind:<9} {self.victim:<18} hold {self.hold_s:4.0f}s"


def plan(seed: int, victims: Victims, horizon_s: float, scale: float = 1.0) -> list[Fault]:
    """Faults from t=0 to `horizon_s`, drawn from `seed` only."""
    if scale <= 0:
        raise ValueError(f"chaos scale {scale}: must be above 0 (1 = the issue's intervals)")
    rng = random.Random(seed)
    menu = [(k, v) for k in PROCESS_KINDS for v in victims.processes]
    menu += [("db-stop", "postgresql")]
    menu += [(k, h) for k in LINK_KINDS for h in victims.hosts]
    menu += [("disk-full", d) for d in victims.disks]
    faults, t = [], 0.0
    while True:
        t += max(1.0, scale * rng.uniform(*INTERVAL_S))
        if t > horizon_s:
            return faults
        kind, victim = menu[rng.randrange(len(menu))]
        low, high = HOLD_S[kind]
        faults.append(Fault(round(t, 1), kind, victim, round(max(1.0, scale * rng.uniform(low, high)), 1)))
        t += faults[-1].hold_s  # one fault at a time: the next interval starts once this one is healed


def describe(faults: list[Fault]) -> str:
    return "\n".join(f.describe() for f in faults)
