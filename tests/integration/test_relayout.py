"""scripts/relayout.py on a small tree of the lab's shape, in a real git repository: what moves,
what each kind of reference becomes, that a second run changes nothing, and that a reference it
cannot rewrite stops it before anything is written. (The script and this test are deleted by the
re-layout itself.)"""
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "relayout.py"

TREE = {
    "lab/__init__.py": "",
    "lab/steps.py": '"""Conversation steps (lab/steps.py)."""\nINPUTS = ("serial",)\n',
    "lab/spec.py": "from lab.steps import INPUTS\nfrom lab import steps as conv\n",
    "workers/__init__.py": "",
    "workers/inputs.py": "from lab import steps\n",
    "workers/typist.py": "",
    "workers/bootlab/__init__.py": "def run():\n    pass\n",
    "workers/boot.py": "import workers.kvm\nprobe = workers.kvm.probe\n",
    "workers/kvm.py": "def probe():\n    pass\n",
    "workers/run.py": ("from workers import inputs, typist  # noqa: E402\n"
                       "# the QEMU machine: workers/boot.py, workers.boot\n"
                       "PATCH = 'workers.kvm.probe'\n"),
    "workers/snapshot/__init__.py": '"""Snapshots."""\n',
    "workers/snapshot/create.py": "from workers.snapshot import store\n",
    "workers/snapshot/store.py": "",
    "workers/warm/boot.py": "from workers.snapshot.create import make\n",
    "steps/__init__.py": "",
    "steps/local_lab.py": "",
    "steps/boot.py": "from buildbot.plugins import steps\nBootStep = steps.BootStep\n",
    "scripts/demo.sh": "#!/bin/sh\n# steps.local_lab starts it (steps/local_lab.py)\npython -m steps.local_lab create\n",
    "docs/design.md": "The runner (`workers.boot`, workers/boot.py); `python -m steps.local_lab`; `lab.kernel.repo`.\n",
    "tests/unit/test_inventory.py": "from lab.steps import INPUTS\n",
    "workers/bootlab/boot.py": "",
    "workers/README.md": "`kvm.py` probes; `boot.py` is ambiguous; warm boots (`warm/`, `snapshot/`)\n",
    "tests/README.md": "tests/unit/test_inventory.py reads OVMF; tests/unit/test_judge.py does not\n",
    "pyproject.toml": ('[project.scripts]\nbootlab = "workers.bootlab:run"\n'
                       '[tool.setuptools.packages.find]\ninclude = ["lab*", "workers*", "steps*"]\n'
                       '[tool.mypy]\nfiles = ["lab", "workers"]\n'),
}


def repo(tmp_path: Path, tree: dict[str, str]) -> Path:
    for name, text in tree.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "tree"], check=True)
    return tmp_path


def relayout(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), "--repo", str(root)], capture_output=True, text=True)


def test_modules_move_and_every_kind_of_reference_follows(tmp_path):
    root = repo(tmp_path, TREE)
    run = relayout(root)
    assert run.returncode == 0, run.stderr
    read = lambda name: (root / name).read_text()  # noqa: E731
    assert not (root / "workers/boot.py").exists() and not (root / "workers/snapshot").exists()
    assert read("workers/qemu/machine.py") == ("import rustux_bootlab.workers.qemu.kvm\n"
                                               "probe = rustux_bootlab.workers.qemu.kvm.probe\n")
    assert read("lab/spec.py") == ("from rustux_bootlab.lab.conversation_spec import INPUTS\n"
                                   "from rustux_bootlab.lab import conversation_spec as conv\n")
    assert read("workers/run.py") == ("from rustux_bootlab.workers.input import ports as inputs, typist  # noqa: E402\n"
                                      "# the QEMU machine: workers/qemu/machine.py, workers.qemu.machine\n"
                                      "PATCH = 'rustux_bootlab.workers.qemu.kvm.probe'\n")
    assert read("workers/warm/snapshot.py") == "from rustux_bootlab.workers.warm import store\n"
    assert read("workers/warm/boot.py") == "from rustux_bootlab.workers.warm.snapshot import make\n"
    assert read("steps/boot.py") == TREE["steps/boot.py"], "Buildbot's own `steps` is not the lab's"
    assert read("scripts/demo.sh").splitlines()[1:] == ["# harness.local_lab starts it (harness/local_lab.py)",
                                                        "python -m rustux_bootlab.harness.local_lab create"]
    assert read("docs/design.md") == ("The runner (`workers.qemu.machine`, workers/qemu/machine.py); "
                                      "`python -m rustux_bootlab.harness.local_lab`; `lab.kernel.repo`.\n")
    assert read("workers/README.md") == "`qemu/kvm.py` probes; `boot.py` is ambiguous; warm boots (`warm/`)\n"
    assert read("tests/tools/test_inventory.py") == "from rustux_bootlab.lab.conversation_spec import INPUTS\n"
    assert read("tests/README.md") == "tests/tools/test_inventory.py reads OVMF; tests/unit/test_judge.py does not\n"
    assert 'bootlab = "rustux_bootlab.workers.bootlab:run"' in read("pyproject.toml")
    assert 'include = ["rustux_bootlab*"]' in read("pyproject.toml")
    assert 'files = ["rustux_bootlab/lab", "rustux_bootlab/workers"]' in read("pyproject.toml")
    assert {p.name: p.readlink() for p in (root / "rustux_bootlab").iterdir() if p.is_symlink()} == {
        "lab": Path("../lab"), "workers": Path("../workers"), "steps": Path("../steps"), "harness": Path("../harness")}
    check = subprocess.run([sys.executable, "-c", "import rustux_bootlab.workers.run, rustux_bootlab.workers.qemu.machine"],
                           cwd=root, capture_output=True, text=True)
    assert check.returncode == 0, check.stderr

    subprocess.run(["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "relayout"], check=True)
    again = relayout(root)
    assert again.returncode == 0, again.stderr
    assert subprocess.run(["git", "-C", str(root), "status", "--porcelain"], capture_output=True, text=True).stdout == ""


def test_a_reference_it_cannot_rewrite_stops_it_before_anything_moves(tmp_path):
    tree = {**TREE, "workers/triage.py": "from workers import (\n    inputs,\n    run,\n)\n",
            "workers/capture.py": "from .run import PATCH\n"}
    root = repo(tmp_path, tree)
    run = relayout(root)
    assert run.returncode == 1
    assert "workers/triage.py:1: from workers import ...: its names move apart" in run.stderr
    assert "workers/capture.py:1: a relative import" in run.stderr
    assert (root / "workers/boot.py").exists() and not (root / "rustux_bootlab").exists()
    assert subprocess.run(["git", "-C", str(root), "status", "--porcelain"], capture_output=True, text=True).stdout == ""
