#!/usr/bin/env python3
"""The re-layout that shows the architecture (issue 21), done mechanically and idempotently.

    python3 scripts/relayout.py [--repo DIR] [--dry-run]

Run at the top of a clean checkout of main, after every branch is merged; then run the
checks and commit. It:
1. moves modules with `git mv` by the rules in MOVES (a file, or a whole directory with the
   files in it now, whatever they are), and writes the new packages' `__init__.py`;
2. makes the installed names unique: `rustux_bootlab/` holds an `__init__.py` and one
   symlink per top-level package (`lab -> ../lab`, ...), so `rustux_bootlab.lab` imports from
   the checkout (PYTHONPATH, the editable install's .pth and master.cfg's sys.path all keep
   working) and the wheel installs `rustux_bootlab/lab/...` as real files;
3. rewrites every reference by module-path rules, in every tracked text file: imports and
   dotted module names in Python code and its string literals get the `rustux_bootlab.`
   prefix and the new place; so do `python -m X`, `from X import`, `X:attr` (entry points) and
   every dotted module name in shell scripts, the Makefile and pyproject.toml; prose (comments,
   docstrings, Markdown) gets the new place without the prefix; `dir/file.py` paths get the new
   place everywhere;
4. deletes itself and its test (tests/integration/test_relayout.py): after it ran they are dead code.

A reference it cannot rewrite safely stops it before anything is written, naming the file and
line (a relative import, a package used as a value, a split `from` import over several lines,
a moved file whose depth changes and that finds the repository from `__file__`).
"""
from __future__ import annotations

import argparse
import ast
import io
import posixpath
import re
import shutil
import subprocess
import sys
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

PACKAGE = "rustux_bootlab"
NEW_TOP = ("harness",)

# Old path -> new path, files or directories (a directory's files keep their names unless a
# file rule of their own says otherwise). First match wins, so files come before directories.
MOVES: list[tuple[str, str]] = [
    ("workers/tryclient.py", "workers/tryjob/client.py"),
    ("workers/trysource.py", "workers/tryjob/source.py"),
    ("workers/trywatch.py", "workers/tryjob/watch.py"),
    ("workers/trypatch.py", "workers/tryjob/patch.py"),
    ("workers/inputs.py", "workers/input/ports.py"),
    ("workers/typist.py", "workers/input/typist.py"),
    ("workers/esp.py", "workers/artifacts/esp.py"),
    ("workers/espcache.py", "workers/artifacts/espcache.py"),
    ("workers/fwscan.py", "workers/artifacts/fwscan.py"),
    ("workers/fileidentity.py", "workers/artifacts/fileidentity.py"),
    ("workers/image.py", "workers/artifacts/image.py"),
    ("workers/partitioned.py", "workers/artifacts/partitioned.py"),
    ("workers/boot.py", "workers/qemu/machine.py"),
    ("workers/kvm.py", "workers/qemu/kvm.py"),
    ("workers/png.py", "workers/qemu/png.py"),
    ("workers/snapshot/create.py", "workers/warm/snapshot.py"),
    ("workers/snapshot/__init__.py", "workers/warm/__init__.py"),
    ("workers/snapshot", "workers/warm"),
    ("steps/local_lab.py", "harness/local_lab.py"),
    ("steps/host_lab.py", "harness/host_lab.py"),
    ("steps/hostnet.py", "harness/hostnet.py"),
    ("steps/hostfirewall.py", "harness/hostfirewall.py"),
    ("steps/pidfile.py", "harness/pidfile.py"),
    ("steps/rest.py", "harness/rest.py"),
    ("steps/soakstats.py", "harness/soakstats.py"),
    ("steps/cluster", "harness/cluster"),
    ("steps/chaos", "harness/chaos"),  # the chaos soak's faults, in flight on its branch
    ("steps/hostdistro.py", "harness/hostdistro.py"),  # another distribution's QEMU host, in flight
    ("lab/steps.py", "lab/conversation_spec.py"),
    # tests/unit holds what needs no installed tool or file; these read OVMF, AAVMF or the fonts
    # the inventory names (checked under a mount namespace with them hidden)
    *((f"tests/unit/{t}.py", f"tests/tools/{t}.py") for t in (
        "test_aavmf", "test_inventory", "test_board_inventory", "test_board_redfish_inventory",
        "test_environment_inventory", "test_hosts", "test_screen_reader")),
]

# The packages the moves create: their docstrings say what belongs in them.
NEW_INITS = {
    "workers/tryjob/__init__.py": '"""`bootlab try` without its command line: what a checkout sends (`source`), the\n'
    "job that carries it (`patch`), the submission to the master's try scheduler (`client`),\n"
    'following the try\'s builds over the REST API (`watch`). The command is\nworkers/bootlab/trypatch.py."""\n',
    "workers/input/__init__.py": '"""What a conversation types: the ports keys go to (`ports`: COM1\'s socket, a board\'s\n'
    'console) and the typist that types what the matcher asks for (`typist`)."""\n',
    "workers/artifacts/__init__.py": '"""The image and firmware a boot is given: ESP images built, cached and checked\n'
    "(`esp`, `espcache`, `image`, `partitioned`), firmware scans remembered (`fwscan`), and\n"
    'trusting an unchanged file without reading it again (`fileidentity`)."""\n',
    "workers/warm/__init__.py": '"""Warm boots: a firmware snapshot made (`snapshot`) and cached (`store`), restored\n'
    "(`restore`) with the resident loader (`loader`), the fallback to a cold boot (`boot`) and\n"
    'the lane\'s honesty check (`lane`)."""\n',
    "harness/__init__.py": '"""The demo and the tests\' harness: a lab of real processes (a master, workers, virtual\n'
    "boards: `local_lab`; across network-namespace hosts: `host_lab`, `hostnet`,\n"
    "`hostfirewall`, `pidfile`; two masters on PostgreSQL and crossbar: `cluster/`), a REST\n"
    'client of the master (`rest`) and a soak\'s statistics (`soakstats`). Nothing here runs in\na master."""\n',
    f"{PACKAGE}/__init__.py": '"""The installed name of the lab: `rustux_bootlab.lab` (the domain), `.workers` (worker\n'
    "hosts and `bootlab`), `.steps` (the master's plugin), `.harness` (demo and tests). In the\n"
    "repository each is a top-level directory; the entries here are symlinks to them.\"\"\"\n",
}

SELF = ("scripts/relayout.py", "tests/integration/test_relayout.py")  # they name the old places on purpose
SKIP_PREFIXES = ("kernel/", "userspace/", *SELF)
FIXTURES = "tests/fixtures/"  # recorded output: only their READMEs are read
PYTHON = (".py", ".tac")
CODE = (".sh", ".toml", "Makefile")  # and any file with a #! line


class Unclassified(Exception):
    pass


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def top_packages(repo: Path) -> list[str]:
    """Every top-level directory with an `__init__.py`: a package merged later counts too."""
    tops = {p.parent.name for p in repo.glob("*/__init__.py") if p.parent.name != PACKAGE and not p.parent.is_symlink()}
    return sorted(tops | set(NEW_TOP))


def new_path(path: str) -> str:
    for old, new in MOVES:
        if path == old or path.startswith(old + "/"):
            return new + path[len(old):]
    return path


@dataclass
class Layout:
    tops: list[str]
    modules: dict[str, str] = field(default_factory=dict)  # old or new dotted name -> new dotted name
    paths: dict[str, str] = field(default_factory=dict)  # old or new repo path (file or directory) -> new
    path_roots: set[str] = field(default_factory=set)  # top directories of moved files outside the packages

    def add(self, old: str, new: str) -> None:
        """One file; its directories move only by a directory rule of MOVES."""
        pairs = [(old, new), (new, new)]
        pairs += [(d, new_path(d)) for d in _parents(old)] + [(d, d) for d in _parents(new)]
        for a, b in pairs:
            self._set(self.paths, a, b)
            ma, mb = module_of(a), module_of(b)
            if ma and mb:
                self._set(self.modules, ma, mb)

    @staticmethod
    def _set(names: dict[str, str], key: str, value: str) -> None:
        if names.setdefault(key, value) != value:
            raise Unclassified(f"{key}: would be both {names[key]} and {value}: fix MOVES")

    def resolve(self, dotted: str) -> tuple[str, int] | None:
        """The new dotted name and how many leading parts named a module (None: not the lab's)."""
        parts = dotted.split(".")
        if parts[0] not in self.tops:
            return None
        for i in range(len(parts), 0, -1):
            head = ".".join(parts[:i])
            if head in self.modules:
                return ".".join([self.modules[head], *parts[i:]]), i
        return ".".join(parts), 1

    def move_path(self, path: str) -> str:
        parts = path.rstrip("/").split("/")
        for i in range(len(parts), 0, -1):
            head = "/".join(parts[:i])
            if head in self.paths:
                return "/".join([self.paths[head], *parts[i:]]) + ("/" if path.endswith("/") else "")
        return path


def _parents(path: str) -> list[str]:
    parts = path.split("/")[:-1]
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def module_of(path: str) -> str | None:
    """A file's module, or a directory's package (any directory of a top-level package is one)."""
    if path.endswith(".py"):
        name = path[:-3].replace("/", ".")
        return name[: -len(".__init__")] if name.endswith(".__init__") else name
    return None if "." in path.rsplit("/", 1)[-1] else path.replace("/", ".")


def plan_layout(repo: Path, files: list[str]) -> tuple[Layout, list[tuple[str, str]]]:
    layout = Layout(top_packages(repo))
    moves = []
    for f in files:
        nf = new_path(f)
        if nf != f:
            moves.append((f, nf))
        if f.split("/")[0] in layout.tops and "/" in f:
            layout.add(f, nf)
        elif nf != f:  # not a module (a test file): only its path is named
            layout.paths[f] = nf
            layout.paths[nf] = nf
            layout.path_roots.add(f.split("/")[0])
    return layout, moves


# ---- rewriting text

def dotted_re(tops: list[str]) -> re.Pattern[str]:
    return re.compile(r"(?<![\w./\-])(%s)((?:\.[A-Za-z_]\w*)+)" % "|".join(map(re.escape, tops)))


def path_re(tops: list[str]) -> re.Pattern[str]:
    return re.compile(r"(?<![\w./\-])((?:%s)/[\w./\-]*)" % "|".join(map(re.escape, tops)))


@dataclass
class Rewriter:
    layout: Layout

    def __post_init__(self) -> None:
        tops = "|".join(map(re.escape, self.layout.tops))
        self.dotted = dotted_re(self.layout.tops)
        self.path = path_re([*self.layout.tops, *sorted(self.layout.path_roots)])
        name = r"(?:%s)(?:\.[A-Za-z_]\w*)*" % tops
        # Where a dotted name is an import name even in prose: it is run, imported or an entry point.
        self.code_in_prose = re.compile(r"(?<![\w./\-])(-m\s+|from\s+|import\s+)(%s)\b|(?<![\w./\-])(%s)(?=:[A-Za-z_])" % (name, name))

    def paths(self, text: str) -> str:
        return self.path.sub(lambda m: self.layout.move_path(m.group(1)), text)

    def code(self, text: str) -> str:
        """Every dotted name that is the lab's module: the installed name."""
        def sub(m: re.Match[str]) -> str:
            r = self.layout.resolve(m.group(0))
            if r is None or r[1] < 2:
                return m.group(0)
            return f"{PACKAGE}.{r[0]}"
        return self.dotted.sub(sub, self.paths(text))

    def prose(self, text: str) -> str:
        """Import names where prose shows code; elsewhere the module's new place, no prefix."""
        out, last = [], 0
        for m in self.code_in_prose.finditer(text):
            out.append(self._moved(text[last:m.start()]))
            if m.group(2):
                out.append(m.group(1) + self._installed(m.group(2)))
            else:
                out.append(self._installed(m.group(3)))
            last = m.end()
        out.append(self._moved(text[last:]))
        return self.paths("".join(out))

    def _installed(self, dotted: str) -> str:
        r = self.layout.resolve(dotted)
        return dotted if r is None else f"{PACKAGE}.{r[0]}"

    def _moved(self, text: str) -> str:
        def sub(m: re.Match[str]) -> str:
            r = self.layout.resolve(m.group(0))
            return r[0] if r and r[1] >= 2 else m.group(0)
        return self.dotted.sub(sub, text)


# ---- Python sources

@dataclass
class Edit:
    start: tuple[int, int]  # (line, character column), 1-based lines
    end: tuple[int, int]
    text: str


def python(source: str, rw: Rewriter, where: str, moved_depth: bool) -> str:
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    parents = {id(c): p for p in ast.walk(tree) for c in ast.iter_child_nodes(p)}

    def span(node: ast.stmt | ast.expr, text: str) -> Edit:
        """An edit replacing a node's source; AST columns count bytes, edits characters."""
        end_line = node.end_lineno or node.lineno
        return Edit((node.lineno, len(lines[node.lineno - 1].encode()[:node.col_offset].decode())),
                    (end_line, len(lines[end_line - 1].encode()[:node.end_col_offset or 0].decode())), text)

    def fail(node: ast.AST, why: str) -> Unclassified:
        return Unclassified(f"{where}:{getattr(node, 'lineno', 0)}: {why}")

    if moved_depth and "__file__" in source:
        raise Unclassified(f"{where}: finds files from __file__ and moves to another depth: fix its parents[] by hand")
    edits: list[Edit] = []
    bound: set[str] = set()  # names `import lab.x` binds: code then reads `lab.x.name`
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            raise fail(node, "a relative import: make it absolute first")
        if isinstance(node, ast.Import):
            segment = ast.get_source_segment(source, node) or ""
            new = segment
            for alias in node.names:
                r = rw.layout.resolve(alias.name)
                if r is None:
                    continue
                if alias.asname is None:
                    bound.add(alias.name.split(".")[0])
                new = re.sub(r"(?<![\w.])%s(?![\w.])" % re.escape(alias.name), f"{PACKAGE}.{r[0]}", new, count=1)
            if new != segment:
                edits.append(span(node, new))
        elif isinstance(node, ast.ImportFrom) and node.module and rw.layout.resolve(node.module):
            edits.append(span(node, _import_from(node, ast.get_source_segment(source, node) or "", rw, fail)))
    for node in ast.walk(tree):
        parent = parents.get(id(node))
        if isinstance(node, ast.Attribute) and _root(node) in bound and not (isinstance(parent, ast.Attribute) and parent.value is node):
            dotted = _dotted(node)
            r = rw.layout.resolve(dotted)
            if r is None or r[1] < 2:
                raise fail(node, f"{dotted}: not a module of the lab")
            edits.append(span(node, f"{PACKAGE}.{r[0]}"))
        elif isinstance(node, ast.Name) and node.id in bound and not isinstance(parent, ast.Attribute) and isinstance(node.ctx, ast.Load):
            raise fail(node, f"the package {node.id} used as a value")
    docstrings = _docstrings(tree)
    split: list[str] = []  # a path built from string literals: "steps" / "cluster"
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.NL:
            continue
        if tok.type == tokenize.OP and tok.string == "/" and split:
            continue
        if tok.type == tokenize.COMMENT:
            new = rw.prose(tok.string)
        elif tok.type == tokenize.STRING:
            literal = tok.string.strip("'\"rbfuRBFU")
            if split:
                joined = f"{split[0]}/{literal}"
                if rw.layout.move_path(joined) != joined:
                    raise Unclassified(f"{where}:{tok.start[0]}: a moved path built from string literals ({joined})")
            split = [literal] if literal in rw.layout.tops else []
            new = rw.prose(tok.string) if tok.start in docstrings else rw.code(tok.string)
            _check_generated_imports(tok, rw, where)
        else:
            split = []
            continue
        if new != tok.string:
            edits.append(Edit(tok.start, tok.end, new))
    return _apply(lines, edits, where)


def _import_from(node: ast.ImportFrom, segment: str, rw: Rewriter, fail) -> str:
    """`from lab.x import a, b`: each name is a submodule (which may move on its own) or an attribute."""
    assert node.module
    base = rw.layout.resolve(node.module)
    assert base
    groups: dict[str, list[str]] = {}
    renamed = False
    for alias in node.names:
        r = rw.layout.resolve(f"{node.module}.{alias.name}")
        if r and r[1] == node.module.count(".") + 2:  # a submodule
            parent, _, name = r[0].rpartition(".")
        else:
            parent, name = base[0], alias.name
        renamed |= name != alias.name
        local = alias.asname or alias.name
        groups.setdefault(parent, []).append(name if name == local else f"{name} as {local}")
    if len(groups) == 1 and not renamed:
        return re.sub(r"^from\s+%s\b" % re.escape(node.module), f"from {PACKAGE}.{next(iter(groups))}", segment)
    if "\n" in segment or "(" in segment:
        raise fail(node, f"from {node.module} import ...: its names move apart; put it on one line first")
    indent = "\n" + " " * node.col_offset
    return indent.join(f"from {PACKAGE}.{parent} import {', '.join(names)}" for parent, names in groups.items())


def _check_generated_imports(tok: tokenize.TokenInfo, rw: Rewriter, where: str) -> None:
    """Code in a string (a generated master.cfg) that imports a moved submodule by name."""
    for m in re.finditer(r"from\s+([\w.]+)\s+import\s+([\w, ]+)", tok.string):
        r = rw.layout.resolve(m.group(1))
        if r is None:
            continue
        for name in (n.strip() for n in m.group(2).split(",")):
            sub = rw.layout.resolve(f"{m.group(1)}.{name}")
            if sub and sub[1] == len(m.group(1).split(".")) + 1 and sub[0] != f"{r[0]}.{name}":
                raise Unclassified(f"{where}:{tok.start[0]}: a string imports the moved module {m.group(1)}.{name}")


def _root(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _dotted(node: ast.expr) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    assert isinstance(node, ast.Name)
    return ".".join([node.id, *reversed(parts)])


def _docstrings(tree: ast.AST) -> set[tuple[int, int]]:
    starts = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str):
                starts.add((first.value.lineno, first.value.col_offset))
    return starts


def _apply(lines: list[str], edits: list[Edit], where: str) -> str:
    edits.sort(key=lambda e: (e.start, e.end))
    for a, b in zip(edits, edits[1:]):
        if b.start < a.end:
            raise Unclassified(f"{where}:{a.start[0]}: overlapping rewrites")
    text = "".join(lines)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    for e in reversed(edits):
        s = offsets[e.start[0] - 1] + e.start[1]
        t = offsets[e.end[0] - 1] + e.end[1]
        text = text[:s] + e.text + text[t:]
    return text


# ---- the whole tree

def rewrite_file(path: str, text: str, rw: Rewriter, moved_depth: bool) -> str:
    name = path.rsplit("/", 1)[-1]
    if path.endswith(PYTHON) or name == "master.cfg" or text.startswith("# -*- python -*-"):
        return python(text, rw, path, moved_depth)
    if name == "pyproject.toml":
        return pyproject(rw.code(text))
    if name == "README.md" and "/" in path:
        text = relative(path.rsplit("/", 1)[0], text, rw.layout)
    if path.endswith(CODE) or name in CODE or text.startswith("#!/"):
        return "".join(rw.prose(line) if line.lstrip().startswith("#") else rw.code(line) for line in text.splitlines(keepends=True))
    return rw.prose(text)


def relative(directory: str, text: str, layout: Layout) -> str:
    """A package README names its files relative to itself (`kvm.py`, `snapshot/create.py`).
    A name that moved follows; one that also names another file below (`boot.py`: workers/ and
    workers/bootlab/) is left as it is, since only its sentence says which it means."""
    below = [p for p in layout.paths if p.startswith(directory + "/")]

    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        old = f"{directory}/{name.rstrip('/')}"
        new = layout.paths.get(old, old)
        if new == old or any(p.endswith("/" + name.rstrip("/")) for p in below if p not in (old, new)):
            return m.group(0)
        return "`" + posixpath.relpath(new, directory) + ("/" if name.endswith("/") else "") + "`"
    moved = re.sub(r"`([\w.-]+(?:/[\w.-]+)*/?)`", sub, text)
    return re.sub(r"(`[^`]+`), \1(?![\w`])", r"\1", moved)  # `warm/`, `snapshot/` became one place


def pyproject(text: str) -> str:
    """The wheel's packages are found under the symlinked name; lint and type-check it."""
    text = re.sub(r'(\[tool\.setuptools\.packages\.find\]\n)include = \[[^\]]*\]', rf'\1include = ["{PACKAGE}*"]', text)
    return re.sub(r'(\[tool\.mypy\][^\[]*?)files = \[([^\]]*)\]',
                  lambda m: m.group(1) + "files = [" + re.sub(r'"(\w+)"', rf'"{PACKAGE}/\1"', m.group(2)) + "]",
                  text)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repo", type=Path, default=Path.cwd())
    ap.add_argument("--dry-run", action="store_true", help="say what would move and which files change; write nothing")
    args = ap.parse_args()
    repo = args.repo.resolve()
    files = git(repo, "ls-files").splitlines()
    layout, moves = plan_layout(repo, files)
    rw = Rewriter(layout)
    changed: dict[str, str] = {}
    errors = []
    for f in files:
        if f.startswith(SKIP_PREFIXES) or (f.startswith(FIXTURES) and not f.endswith(".md")) or (repo / f).is_symlink() or not (repo / f).is_file():
            continue
        try:
            text = (repo / f).read_text()
        except UnicodeDecodeError:
            continue
        nf = new_path(f)
        moved_depth = nf.count("/") != f.count("/")
        try:
            new = rewrite_file(f, text, rw, moved_depth)
        except Unclassified as e:
            errors.append(str(e))
            continue
        except SyntaxError as e:
            errors.append(f"{f}:{e.lineno}: cannot parse: {e.msg}")
            continue
        if new != text:
            changed[nf] = new
    for old, new in moves:
        if new in NEW_INITS and len(ast.parse((repo / old).read_text()).body) > 1:
            errors.append(f"{old}: holds more than a docstring, and {new} gets a new one: move its code first")
    if errors:
        print("relayout: nothing was changed; these references cannot be rewritten safely:", file=sys.stderr)
        for err in errors:
            print("  " + err, file=sys.stderr)
        return 1
    for old, new in moves:
        print(f"move {old} -> {new}")
    for f in sorted(changed):
        print(f"rewrite {f}")
    if args.dry_run:
        return 0
    moved_inits = {new for old, new in moves if new in NEW_INITS}
    for old, new in moves:
        if (repo / new).exists():
            raise SystemExit(f"relayout: {new} exists already: cannot move {old} there")
        (repo / new).parent.mkdir(parents=True, exist_ok=True)
        git(repo, "mv", old, new)
    for old, _ in MOVES:
        # A package the moves emptied would still import (a namespace of its __pycache__).
        if (repo / old).is_dir() and not git(repo, "ls-files", old):
            shutil.rmtree(repo / old)
    for f, text in changed.items():
        (repo / f).write_text(text)
    for f, text in NEW_INITS.items():
        p = repo / f
        if (p.parent.is_dir() or f.startswith(PACKAGE)) and (not p.exists() or f in moved_inits):
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text)
    for top in layout.tops:
        link = repo / PACKAGE / top
        if not link.is_symlink():
            link.symlink_to(Path("..") / top)
    git(repo, "add", PACKAGE, *(f for f in NEW_INITS if (repo / f).exists()), *changed)
    gone = [f for f in SELF if (repo / f).exists()]
    if gone:
        git(repo, "rm", "-q", "-f", *gone)
    print(f"relayout: {len(moves)} files moved, {len(changed)} rewritten; run the checks, then commit")
    return 0


if __name__ == "__main__":
    sys.exit(main())
