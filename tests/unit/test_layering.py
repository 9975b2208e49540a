"""The layering rule `steps -> lab <- workers`: lab imports neither Buildbot, Twisted nor the
edges, and runs no process; workers import neither Buildbot, the steps nor the harness
(docs/design.md). Every file of each package counts, subpackages included. The packages are
installed under one name, `rustux_bootlab`: an import by a bare `lab`, `workers`, `steps` or
`harness` works in a checkout and breaks in the wheel."""
import ast
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LAB = REPO / "lab"
WORKERS = REPO / "workers"
PACKAGE = "rustux_bootlab"
PACKAGES = tuple(sorted(p.name for p in (REPO / PACKAGE).iterdir() if p.is_symlink()))  # lab, workers, steps, harness, ...
FORBIDDEN = ("buildbot", "twisted", "workers", "steps", "harness")
WORKERS_FORBIDDEN = ("buildbot", "steps", "harness")  # Twisted is allowed: the try client speaks its PB to the master


def layer(name: str) -> str:
    """What an import name depends on: the lab's package under `rustux_bootlab`, else its top."""
    parts = name.split(".")
    return parts[1] if parts[0] == PACKAGE and len(parts) > 1 else parts[0]


def imported_names(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def imported_roots(path):
    return (layer(n) for n in imported_names(path))


def test_lab_imports_only_itself_and_plain_libraries():
    files = sorted(LAB.rglob("*.py"))
    assert any(p.parent != LAB for p in files), "the subpackages (lab/screen) are checked too"
    for path in files:
        bad = set(imported_roots(path)) & set(FORBIDDEN)
        assert not bad, f"{path.relative_to(LAB.parent)} imports {bad}"


def test_workers_import_no_buildbot_and_no_steps():
    files = sorted(WORKERS.rglob("*.py"))
    assert any(p.parent != WORKERS for p in files)
    for path in files:
        bad = set(imported_roots(path)) & set(WORKERS_FORBIDDEN)
        assert not bad, f"{path.relative_to(LAB.parent)} imports {bad}: the worker side runs without a master"


def test_the_import_check_sees_imports_inside_functions(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from buildbot.process import results\n    import twisted.internet\n"
                      "    from rustux_bootlab.steps import boot\n")
    assert set(imported_roots(sample)) == {"buildbot", "twisted", "steps"}


def test_the_lab_is_imported_by_its_installed_name_only():
    assert {"lab", "workers", "steps", "harness"} <= set(PACKAGES)
    files = [p for top in (*PACKAGES, "tests", "bench", "scripts") for p in sorted((REPO / top).rglob("*.py"))]
    files.append(REPO / "master.cfg")
    for path in files:
        bare = sorted({n for n in imported_names(path) if n.split(".")[0] in PACKAGES})
        assert not bare, f"{path.relative_to(REPO)} imports {bare}: the wheel installs them as {PACKAGE}.<name> only"


# Ways to run another program; lab/ reads and writes files at most (the I/O is at the edges).
PROCESS_MODULES = {"subprocess", "multiprocessing", "pty", "concurrent"}
PROCESS_CALLS = ("system", "popen", "fork", "forkpty", "exec", "spawn", "posix_spawn", "startfile", "kill")


def process_uses(path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name.split(".")[0] in PROCESS_MODULES)
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module.split(".")[0] in PROCESS_MODULES:
                yield node.module
            elif node.module == "os":
                yield from (f"os.{a.name}" for a in node.names if a.name.startswith(PROCESS_CALLS))
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "os":
            if node.attr.startswith(PROCESS_CALLS):
                yield f"os.{node.attr}"


def test_lab_runs_no_process():
    for path in sorted(LAB.rglob("*.py")):
        used = sorted(set(process_uses(path)))
        assert not used, f"{path.relative_to(LAB.parent)} runs processes ({', '.join(used)}): move that to workers/"


def test_the_process_check_sees_what_it_forbids(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import subprocess\nfrom os import system\nimport os\nos.execvp('x', [])\nos.path.join('a')\n")
    assert sorted(set(process_uses(sample))) == ["os.execvp", "os.system", "subprocess"]


def test_bootlab_cli_imports_no_board_drivers():
    # A QEMU boot must not pay for pyghmi and paramiko (~150 ms of the boot-latency budget).
    code = "import sys, rustux_bootlab.workers.bootlab; print(sorted({m.split('.')[0] for m in sys.modules} & {'pyghmi', 'paramiko', 'buildbot'}))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=LAB.parent).stdout.strip()
    assert out == "[]"


def test_a_qemu_boot_imports_no_board_drivers_and_no_numpy():
    # `bootlab boot` itself (its command module): numpy (~0.1 s) is for boots that read a screen.
    code = ("import sys, rustux_bootlab.workers.bootlab.boot; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'pyghmi', 'paramiko', 'buildbot', 'numpy'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=LAB.parent).stdout.strip()
    assert out == "[]"
