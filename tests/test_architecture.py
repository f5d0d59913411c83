"""DESIGN.md's rules, held in the imports: the core imports no adapter, face or clock; only faces
print; adapters import only the domain; no cycles between the packages; the simulator stays out
of the sync path."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "okrsync"

# what each layer may import from okrsync itself (its own package is always allowed)
ALLOWED: dict[str, set[str]] = {
    "domain": set(),
    "core": {"domain"},
    "jira": {"domain"},
    "state": {"domain"},
    "report": {"core", "domain"},
    "sync": {"core", "domain", "jira", "state"},
    "provision": {"core", "domain", "jira", "state", "sync"},
    "daemon": {"core", "domain", "jira", "state", "sync", "report"},
    "cli": {"core", "domain", "jira", "state", "sync", "provision", "report", "daemon", "jira_sim", "data"},
    "data": set(),
}
FACES = {"cli", "daemon"}
# third-party libraries that are I/O or presentation: never in the pure core or the domain
IO_LIBRARIES = {
    "requests",
    "sqlalchemy",
    "psycopg",
    "httpx",
    "starlette",
    "uvicorn",
    "apscheduler",
    "rich",
    "typer",
}
CLOCK_READS = {("datetime", "now"), ("datetime", "utcnow"), ("date", "today"), ("time", "time"),
               ("time", "monotonic"), ("time", "perf_counter"), ("time", "time_ns")}  # fmt: skip


@dataclass(frozen=True)
class Module:
    path: Path
    layer: str
    tree: ast.Module

    @property
    def name(self) -> str:
        return str(self.path.relative_to(PACKAGE.parent)).removesuffix(".py").replace("/", ".")


def modules() -> Iterator[Module]:
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).parts
        if len(parts) == 1:  # okrsync/__init__.py
            continue
        yield Module(path, parts[0], ast.parse(path.read_text(encoding="utf-8")))


def imported(tree: ast.AST) -> Iterator[tuple[str, int]]:
    """Every module name imported anywhere in ``tree`` (function-level imports too)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module, node.lineno
            for alias in node.names:  # from okrsync.daemon import service
                yield f"{node.module}.{alias.name}", node.lineno


def okrsync_layer(name: str) -> str | None:
    parts = name.split(".")
    if parts[0] != "okrsync" or len(parts) < 2:
        return None
    return parts[1]


LAYERED = [m for m in modules() if m.layer in ALLOWED]


@pytest.mark.parametrize("module", LAYERED, ids=lambda m: m.name)
def test_each_module_imports_only_what_its_layer_may(module: Module) -> None:
    bad = []
    for name, line in imported(module.tree):
        layer = okrsync_layer(name)
        if layer is None or layer == module.layer or layer == "__version__":
            continue
        if layer not in ALLOWED[module.layer] and (PACKAGE / layer).is_dir():
            bad.append(f"line {line}: {name}")
    assert not bad, f"{module.name} ({module.layer}) may import only {sorted(ALLOWED[module.layer])}: {bad}"


PURE = [m for m in modules() if m.layer in ("core", "domain", "report")]


@pytest.mark.parametrize("module", PURE, ids=lambda m: m.name)
def test_the_pure_layers_do_no_io_and_read_no_clock(module: Module) -> None:
    libs = [
        f"line {line}: {name}" for name, line in imported(module.tree) if name.split(".")[0] in IO_LIBRARIES
    ]
    if module.layer == "report":  # renderers build rich renderables for the faces; they print nothing
        libs = [entry for entry in libs if not entry.split(": ")[1].startswith("rich")]
    assert not libs, f"{module.name} imports I/O or presentation libraries: {libs}"
    clocks = [
        f"line {node.lineno}: {node.func.value.id}.{node.func.attr}()"
        for node in ast.walk(module.tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and (node.func.value.id, node.func.attr) in CLOCK_READS
    ]
    assert not clocks, f"{module.name} reads the clock (pass the time in): {clocks}"


NOT_FACES = [m for m in modules() if m.layer not in FACES and m.layer != "jira_sim"]


@pytest.mark.parametrize("module", NOT_FACES, ids=lambda m: m.name)
def test_only_faces_print(module: Module) -> None:
    prints = [
        f"line {node.lineno}"
        for node in ast.walk(module.tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print"
    ]
    consoles = [
        f"line {line}: {name}"
        for name, line in imported(module.tree)
        if name in ("rich.console", "rich.console.Console", "rich.progress") and module.layer != "report"
    ]
    assert not prints and not consoles, (
        f"{module.name} prints (return a report; cli/ renders it): {prints + consoles}"
    )


def test_no_cycles_between_packages() -> None:
    edges: dict[str, set[str]] = {}
    for module in modules():
        for name, _line in imported(module.tree):
            layer = okrsync_layer(name)
            if layer and layer != module.layer and (PACKAGE / layer).is_dir():
                edges.setdefault(module.layer, set()).add(layer)

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        for nxt in edges.get(start, ()):
            if nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt})):
                return True
        return False

    cycles = sorted(f"{a} → {b} → … → {a}" for a in edges for b in edges[a] if reaches(b, a, {b}))
    assert not cycles, cycles


def test_the_simulator_is_never_imported_by_the_sync_path() -> None:
    users = sorted(
        {
            m.name
            for m in modules()
            if m.layer not in ("jira_sim", "cli")
            for n, _ in imported(m.tree)
            if n.startswith("okrsync.jira_sim")
        }
    )
    assert not users, users


def test_the_simulator_imports_nothing_of_okrsync_but_itself() -> None:
    """The simulator plays Jira: it must not share okrsync's code (it would agree with its bugs)."""
    bad = sorted(
        {
            f"{m.name}: {n}"
            for m in modules()
            if m.layer == "jira_sim"
            for n, _ in imported(m.tree)
            if okrsync_layer(n) not in (None, "jira_sim", "data")  # data: the packaged demo configuration
        }
    )
    assert not bad, bad
