"""The lab across hosts: PostgreSQL, crossbar, the engine and ui masters, two QEMU worker hosts and
the board controller, each in its own network namespace with its own address and directory, the
second QEMU host of Debian 13 (its worker runs Debian 13's QEMU and EDK2 from the environment's
root, harness/hostdistro.py); a build forced on the ui master fans its boots out over the hosts and
so across environments, both masters show it, and each
host holds only the secrets it needs (its files, its processes' argv and environment). Real
masters, workers, QEMU, ipmi_sim, dnsmasq (the board controller PXE-boots vboard-1 on its own lab
network), PostgreSQL, crossbar; needs root (`ip netns`).
"""
from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from rustux_bootlab.lab.hosts import LAB_NETWORK
from rustux_bootlab.lab.inventory import load_inventory
from rustux_bootlab.harness import hostnet
from rustux_bootlab.steps.auth import load_users
from rustux_bootlab.harness.host_lab import CLUSTER_PORTS
from rustux_bootlab.harness.rest import RestError
from tests.integration.hosts_support import files_holding, host_lab, host_processes, process_text
from rustux_bootlab.workers.deploy.pxe import mac_dir

pytestmark = [pytest.mark.hosts, pytest.mark.slow, pytest.mark.qemu]


@pytest.fixture(scope="module")
def lab():
    with host_lab(qemu_hosts=2, cluster=True, distributions={"qemu-2": "debian13"}) as lab:
        yield lab


@pytest.fixture(scope="module")
def forced(lab):
    return lab.client("developer").force_and_wait("force-kernel", timeout_s=900)


def test_every_target_and_board_passes_and_the_boots_fan_out_over_the_hosts(lab, forced):
    # each QEMU boot's record names the distribution and QEMU of the host it ran on: the fan-out crossed
    # environments; the arm64 target stays on qemu-1 (Debian 13's root has no qemu-system-aarch64)
    ran = {(lab.plan.host_of_worker(b["worker"]).name, b["environment"]["name"], b["environment"]["qemu"].rsplit(".", 1)[0])
           for b in forced.boots if b["environment"]}
    assert ran == {("qemu-1", "debian12", "7.2"), ("qemu-2", "debian13", "10.0")}, ran
    assert next(b["worker"] for b in forced.boots if b["target"] == "virt-aavmf") == "qemu-1"
    # the lab's records go with its root: a boot that did not pass is said here, with its reason
    failed = [(b["target"], b["verdict"], b["culprit"], b["reason"]) for b in forced.boots if b["verdict"] != "PASS"]
    assert forced.kernel_result == "success" and not failed, (forced.kernel_state, failed)
    inventory_boots = {b["target"]: b for b in forced.boots}
    assert set(inventory_boots) == {"q35-pflash", "pc-pflash", "q35-bios", "pc-bios", "virt-aavmf", "vboard-1", "vboard-2",
                                    "rfboard-1", "pduboard-1"}
    for boot in forced.boots:
        assert (boot["result"], boot["verdict"]) == ("success", "PASS"), boot
    hosts = {lab.plan.host_of_worker(b["worker"]).name for b in forced.boots}
    assert hosts == {"qemu-1", "qemu-2", "boards"}, [(b["target"], b["worker"]) for b in forced.boots]
    # the workers reached the engine by its bridge address, each from its own; both masters show the builds
    workers = {w["name"]: w for w in lab.client(None).get("workers")["workers"]}
    assert all(w["connected_to"] for w in workers.values())
    ids = [sorted(b["buildid"] for b in lab.client(None, url).get("builds")["builds"]) for url in lab.web_urls()]
    assert ids[0] == ids[1] and len(ids[0]) == 1 + len(forced.boots), ids
    # the PXE board booted from the board controller's dnsmasq, on its lab network, not from QEMU's TFTP
    pxe = load_inventory(lab.inventory_path).board("vboard-1")
    log = (lab.host_dir("boards") / "state" / f"pxe-{LAB_NETWORK.interface}" / "dnsmasq.log").read_text(errors="replace")
    assert f"DHCPACK({LAB_NETWORK.interface})" in log and pxe.mac in log, log[-1500:]
    assert f"{mac_dir(pxe.mac)}/bootx64.efi" in log, log[-1500:]
    print(f"\nforced build across hosts: {forced.timing}; "
          + ", ".join(f"{b['target']} on {b['worker']}" for b in forced.boots))


def test_each_host_holds_only_its_own_secrets(lab, forced):
    boards_secrets = lab.host_dir("boards") / "secrets"
    bmc = {p.name: p.read_bytes().strip() for p in boards_secrets.iterdir() if not p.name.startswith("worker-")}
    assert sorted(bmc) == ["rfboard-1-bmc", "vboard-1-bmc", "vboard-1-sol", "vboard-2-bmc", "vboard-2-sol"]
    workers = {p.name: p.read_bytes().strip() for p in lab.master_secrets.iterdir() if p.name.startswith("worker-")}
    web = {f"web user {u.name}": u.password.encode() for u in load_users(lab.master_secrets)}
    for host in lab.plan.hosts:
        assert sorted(p.name for p in (lab.host_dir(host.name) / "secrets").iterdir()) == sorted(host.secrets)
        masters_side = host.role == "master"
        disks = [lab.host_dir(host.name)] + ([lab.cluster_dir] if masters_side else [])
        foreign = {name: value for name, value in {**bmc, **workers}.items()
                   if name not in host.secrets and not (masters_side and name.startswith("worker-"))}
        if not masters_side:
            foreign.update(web)
        pids = host_processes(lab, host.name)
        assert pids or host.role == "master", f"nothing runs on {host.name}"
        for name, value in foreign.items():
            for disk in disks:
                assert not files_holding(disk, value), f"{host.name}'s disk {disk} holds {name}"
            assert not [p for p in pids if value in process_text(p)], f"a process on {host.name} holds {name}"
    assert not files_holding(lab.inventory_path, bmc["vboard-1-bmc"])


def test_crossbar_and_postgresql_answer_the_masters_only(lab):
    """Crossbar takes no credentials (Buildbot's WAMP connector has none): only the masters may
    reach it; PostgreSQL too (iptables on their hosts, pg_hba on the database)."""
    services = {"crossbar": ("router", CLUSTER_PORTS["router"]), "PostgreSQL": ("db", CLUSTER_PORTS["db"])}
    for host in lab.plan.hosts:
        for name, (server, port) in services.items():
            addr = lab.plan.host(server).address
            answer = tcp_probe(lab, host.name, addr, port)
            want = "open" if host.name in ("engine", "ui", server) else "refused"
            assert answer == want, f"{name} {addr}:{port} from {host.name}: {answer}"


def test_a_board_reaches_nothing_but_its_boot_server(lab, forced):
    """From the boards' lab network, where a kernel under test runs (a probe on `lab0` at a board's
    address): no master, PostgreSQL, crossbar or BMC answers, nothing is forwarded."""
    inventory = load_inventory(lab.inventory_path)
    boards = lab.plan.host("boards")
    gateway = LAB_NETWORK.address.split("/")[0]
    probe = f"rbl{lab.plan.tag}-probe"
    subprocess.run(["ip", "netns", "add", probe], check=True)
    try:
        for cmd in (["link", "add", "rbp" + lab.plan.tag, "type", "veth", "peer", "name", "eth0", "netns", probe],
                    ["link", "set", "rbp" + lab.plan.tag, "master", LAB_NETWORK.interface, "up"]):
            subprocess.run([*hostnet.exec_prefix(lab.plan, "boards"), "ip", *cmd], check=True)
        for cmd in (["link", "set", "lo", "up"], ["addr", "add", "10.77.0.250/24", "dev", "eth0"],
                    ["link", "set", "eth0", "up"], ["route", "add", "default", "via", gateway]):
            subprocess.run(["ip", "netns", "exec", probe, "ip", *cmd], check=True)
        targets = [(lab.plan.host(h).address, port) for h, port in (("engine", 8010), ("engine", 9989), ("ui", 8010),
                                                                     ("ui", 8031), ("router", CLUSTER_PORTS["router"]),
                                                                     ("db", CLUSTER_PORTS["db"]))]
        targets += [(addr, 22) for addr in (gateway, boards.address)]  # the controller itself
        for addr, port in targets:
            assert _probe(["ip", "netns", "exec", probe], addr, port) != "open", f"{addr}:{port} from a board"
        for board in inventory.boards.values():  # its BMC, at every address of the controller
            for addr in (gateway, boards.address):
                assert not rmcp_answers(["ip", "netns", "exec", probe], addr, board.bmc.port), f"{board.name}'s BMC"
        assert rmcp_answers(hostnet.exec_prefix(lab.plan, "boards"), "127.0.0.1", inventory.board("vboard-1").bmc.port)
        # and the lab's own sessions (power, SOL in the forced build) never asked a BMC for a weak cipher suite
        guards = list((lab.host_dir("boards") / "state").glob("*/vboard/bmc-guard.log"))
        assert len(guards) == 2 and not any(g.read_text() for g in guards)
    finally:
        subprocess.run(["ip", "netns", "del", probe])


def test_control_is_refused_to_anonymous_users_and_operator_actions_to_developers(lab, forced):
    board_action = {"builderNames": ["operator/vboard-1"], "action": "on"}
    calls = [(f"builds/{forced.kernel_buildid}", "rebuild", {}), (f"builds/{forced.kernel_buildid}", "stop", {}),
             ("forceschedulers/force-kernel", "force", {}), ("forceschedulers/board-action", "force", board_action),
             ("forceschedulers/force-golden", "force", {}), ("workers/1", "pause", {"reason": "x"}),
             ("buildrequests/1", "cancel", {}), ("schedulers/1", "enable", {"enabled": False})]
    for url in lab.web_urls():
        anonymous = lab.client(None, url)
        for path, method, params in calls:
            with pytest.raises(RestError) as refused:
                anonymous.control(path, method, **params)
            assert refused.value.status == 403, (url, path, method)
        developer = lab.client("developer", url)
        for path, method, params in calls[3:]:
            with pytest.raises(RestError) as refused:
                developer.control(path, method, **params)
            assert refused.value.status == 403, (url, path, method)
    assert not [b for b in lab.client(None).get("builds")["builds"] if b["buildid"] > max(
        [forced.kernel_buildid] + [b["buildid"] for b in forced.boots])], "a refused call started a build"
    # the try port: a wrong password is refused at login, at once (Buildbot's own try client then hangs)
    login = subprocess.run([sys.executable, "-c", TRY_LOGIN, lab.plan.host("ui").address, str(CLUSTER_PORTS["try"])],
                           capture_output=True, text=True, timeout=60)
    outcome, seconds = login.stdout.split()
    assert outcome == "UnauthorizedLogin" and float(seconds) < 10, login.stdout + login.stderr


TRY_LOGIN = """\
import sys, time
from twisted.cred import credentials
from twisted.internet import reactor
from twisted.spread import pb
factory, started = pb.PBClientFactory(), time.monotonic()
reactor.connectTCP(sys.argv[1], int(sys.argv[2]), factory, timeout=10)
def done(result):
    name = result.value.__class__.__name__ if hasattr(result, "value") else "accepted"
    print(("UnauthorizedLogin" if "UnauthorizedLogin" in str(result) else name), round(time.monotonic() - started, 2))
    reactor.stop()
factory.login(credentials.UsernamePassword(b"developer", b"not-the-password")).addBoth(done)
reactor.callLater(30, reactor.stop)
reactor.run()
"""


def tcp_probe(lab, host: str, addr: str, port: int) -> str:
    return _probe(hostnet.exec_prefix(lab.plan, host), addr, port)


def _probe(prefix: list[str], addr: str, port: int) -> str:
    """open, refused or silent (nothing came back in 3 s): a TCP connect from inside a namespace."""
    code = ("import socket, sys\ns = socket.socket(); s.settimeout(3)\n"
            "try:\n    s.connect((sys.argv[1], int(sys.argv[2]))); print('open')\n"
            "except ConnectionRefusedError:\n    print('refused')\n"
            "except OSError:\n    print('silent')\n")
    return subprocess.run([*prefix, sys.executable, "-c", code, addr, str(port)], capture_output=True, text=True,
                          timeout=30).stdout.strip()


def rmcp_answers(prefix: list[str], addr: str, port: int) -> bool:
    """An RMCP presence ping to `addr`:`port`/udp gets a pong within 2 s."""
    code = ("import socket, sys\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(2)\n"
            "s.sendto(bytes.fromhex('06 00 ff 06 00 00 11 be 80 00 00 00'), (sys.argv[1], int(sys.argv[2])))\n"
            "try:\n    print('pong' if s.recv(512) else '')\nexcept OSError:\n    print('')\n")
    return subprocess.run([*prefix, sys.executable, "-c", code, addr, str(port)], capture_output=True, text=True,
                          timeout=30).stdout.strip() == "pong"


def test_no_secret_reaches_the_database_logs_records_rest_pages_or_processes(lab, forced):
    """Every secret the lab holds (BMC, SOL, workers, web users, the database's, and the multi-line
    ones: the TLS keys of the lab CA and the Redfish BMCs, line by line), looked for
    everywhere else: every file of every host and of the cluster but the secret stores (logs,
    boot records, console logs, PostgreSQL's files), the database's rows, both masters' REST
    answers and pages, every process's argv and environment on the machine."""
    stores = [lab.host_dir(h.name) / "secrets" for h in lab.plan.hosts] + [lab.master_secrets]
    values = {p: p.read_bytes().strip() for store in stores for p in store.iterdir() if p.is_file()}
    values.update({Path(f"web user {u.name}"): u.password.encode() for u in load_users(lab.master_secrets)})
    values.pop(lab.master_secrets / "users")
    values.pop(lab.master_secrets / "pgpass")  # host:port:db:user:password: the password is db-password
    bmc_flash = list((lab.host_dir("boards") / "state").glob("*/vboard/lan.conf"))  # the BMCs' own (mode 600)
    assert len(values) >= 12 and all(len(v) >= 12 for v in values.values()), values.keys()
    # The multi-line secrets: the lab CA's key and each Redfish BMC's TLS key (PEM). A log or a
    # JSON answer breaks such a value at its newlines or escapes them: each line is a canary.
    keys = [p for p in lab.root.rglob("*.key") if p.is_file() and b"PRIVATE KEY-----" in p.read_bytes()]
    assert len(keys) >= 2, keys
    for key in keys:
        body = [line for line in key.read_bytes().splitlines() if not line.startswith(b"-----")]
        values.update({Path(f"{key} line {i}"): line for i, line in enumerate(body, 1) if len(line) >= 16})
    held = {name: [p for p in files_holding(lab.root, value)
                   if not any(s in p.parents for s in stores) and p not in bmc_flash and p not in keys]
            for name, value in values.items()}
    assert not any(held.values()), {n: h for n, h in held.items() if h}

    dump = lab.run_on("db", [sys.executable, "-c", DUMP, str(lab.cluster_dir)], env=lab.cluster_env())
    assert dump.returncode == 0 and "buildrequests" in dump.stdout, dump.stderr
    answers = [dump.stdout]
    for url in lab.web_urls():
        client = lab.client("admin", url)
        for page in ("builds", "workers", "masters", "schedulers", "builders", "forceschedulers", "changes"):
            answers.append(repr(client.get(page)))
        for build in client.get("builds")["builds"]:
            answers += [repr(client.properties(build["buildid"])), repr(client.steps(build["buildid"]))]
            for step in client.steps(build["buildid"]):
                answers += [client.raw_log(log["logid"]) for log in client.get(f"steps/{step['stepid']}/logs")["logs"]]
        with urllib.request.urlopen(url, timeout=30) as page:
            answers.append(page.read().decode(errors="replace"))
    for name, value in values.items():
        assert not [a for a in answers if value.decode() in a], f"{name} in the database or a master's answer"
        assert not [p for p in os.listdir("/proc") if p.isdigit() and value in process_text(int(p))], f"{name} in a process"


DUMP = """\
import sys
from pathlib import Path
from rustux_bootlab.harness.cluster import db
from rustux_bootlab.harness.cluster.layout import load_cluster
conn = db.connect(load_cluster(Path(sys.argv[1])))
cur = conn.cursor()
cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
for (table,) in cur.fetchall():
    cur.execute(f'SELECT t::text FROM "{table}" t')
    print(table, *(row[0] for row in cur.fetchall()), sep="\\n")
"""
