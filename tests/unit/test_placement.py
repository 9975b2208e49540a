"""Boots fan out to the least busy QEMU host, whatever Buildbot's locks say yet (steps/placement.py).

Stand-ins carry only the attributes the choice reads from Buildbot's worker objects
(`workerforbuilders`, `isBusy`, `builder_name`, `workername`); the real master is exercised by
tests/integration/test_hosts_lab.py, whose boots must land on both QEMU hosts.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from rustux_bootlab.steps.placement import least_busy, next_worker, qemu_builds


@dataclass
class Wfb:
    builder_name: str
    busy: bool = False
    worker: "Worker | None" = None

    def isBusy(self) -> bool:
        return self.busy


@dataclass
class Worker:
    workername: str
    workerforbuilders: dict = field(default_factory=dict)

    def running(self, *builders: str, busy: bool = True) -> "Worker":
        for b in builders:
            self.workerforbuilders[b] = Wfb(b, busy, self)
        return self

    def offer(self, builder: str) -> Wfb:
        return self.workerforbuilders.setdefault(builder, Wfb(builder, False, self))


def test_only_qemu_builds_count_not_the_kernel_build_waiting_on_its_boots():
    w = Worker("qemu-1").running("kernel", "boot/pc-bios", "golden/q35-pflash").running("boot/q35-bios", busy=False)
    assert qemu_builds(w) == 2


def test_a_fanned_out_boot_goes_to_the_host_without_one_even_before_any_lock_is_claimed():
    q1, q2 = Worker("qemu-1").running("kernel", "boot/pc-bios"), Worker("qemu-2")
    choose = next_worker({"qemu-1": 1, "qemu-2": 1})
    for _ in range(50):
        picked = choose(None, [q1.offer("boot/q35-bios"), q2.offer("boot/q35-bios")], None)
        assert picked.worker is q2


def test_load_is_weighed_against_each_hosts_capacity():
    big, small = Worker("big").running("boot/a"), Worker("small")
    choose = next_worker({"big": 4, "small": 1})
    small.running("boot/b")
    assert choose(None, [big.offer("boot/c"), small.offer("boot/c")], None).worker is big


def test_ties_are_broken_at_random_and_nothing_is_chosen_from_nothing():
    q1, q2 = Worker("qemu-1"), Worker("qemu-2")
    choose = next_worker({})
    picked = {choose(None, [q1.offer("boot/x"), q2.offer("boot/x")], None).worker.workername for _ in range(200)}
    assert picked == {"qemu-1", "qemu-2"}
    assert least_busy([], len) is None
