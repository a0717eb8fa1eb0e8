"""The shape of domain/: each program is a place, modules stay readable, imports go one way."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from domain.events import Program
from domain.handling import HANDLERS

ROOT = Path(__file__).resolve().parents[3]
DOMAIN = ROOT / "domain"
PROJECT_PACKAGES = {
    "application",
    "adapters",
    "projections",
    "consumers",
    "api",
    "scripts",
    "synthetic",
    "tests",
}
MODULES = sorted(DOMAIN.rglob("*.py"))
PLACES = {
    "domain.vr": frozenset({Program.VR}),
    "domain.assistance": frozenset({Program.CASH_ASSISTANCE}),
    "domain.authorizations": frozenset(Program),
    "domain.assignment": frozenset(Program),
}
"""Each place of domain/ that decides commands, and the programs whose cases accept them."""


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def runtime_imports(path: Path) -> set[str]:
    """The modules `path` imports when it runs: imports under `if TYPE_CHECKING:` are for the
    type checker only and cannot form a cycle."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    checking_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
        for inner in ast.walk(node)
    }
    names: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in checking_only:
            continue
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
            # `from domain.vr import events` imports the module domain.vr.events.
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_domain_module_is_over_600_lines(path: Path) -> None:
    assert len(path.read_text(encoding="utf-8").splitlines()) <= 600


def test_the_case_shell_is_under_500_lines() -> None:
    assert len((DOMAIN / "case.py").read_text(encoding="utf-8").splitlines()) < 500


def test_the_domain_imports_nothing_of_the_project_outside_it() -> None:
    outside = {
        module_name(path): sorted(
            name for name in runtime_imports(path) if name.split(".")[0] in PROJECT_PACKAGES
        )
        for path in MODULES
    }
    assert {module: names for module, names in outside.items() if names} == {}


def test_no_import_cycle_in_the_domain() -> None:
    known = {module_name(path): path for path in MODULES}
    graph = {
        name: {imported for imported in runtime_imports(path) if imported in known} - {name}
        for name, path in known.items()
    }
    # A package's __init__ runs before its modules: importing domain.vr.events imports domain.vr.
    for name in known:
        parent = name.rpartition(".")[0]
        if parent in known and parent != "domain":
            graph[name].add(parent)
    finished: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        if name in path:
            cycle = [*path[path.index(name) :], name]
            pytest.fail(f"import cycle: {' -> '.join(cycle)}")
        if name in finished:
            return
        for imported in sorted(graph[name]):
            visit(imported, [*path, name])
        finished.add(name)

    for name in sorted(graph):
        visit(name, [])


@pytest.mark.parametrize("place", sorted(PLACES))
def test_each_place_registers_its_own_commands_for_its_programs(place: str) -> None:
    decisions = importlib.import_module(f"{place}.decisions").DECISIONS

    assert decisions, place
    for command in decisions:
        assert command.__module__ == f"{place}.commands"
        assert HANDLERS[command].programs == PLACES[place]


def test_every_command_the_registry_handles_belongs_to_a_place() -> None:
    assert {command.__module__.rpartition(".")[0] for command in HANDLERS} == set(PLACES)


def test_each_decision_lives_beside_its_command() -> None:
    for command, handler in HANDLERS.items():
        program_package = command.__module__.rpartition(".")[0]
        assert handler.decide.__module__.startswith(program_package + "."), command


def test_the_commands_module_offers_every_command_the_registry_handles() -> None:
    import domain.commands

    missing = [c.__name__ for c in HANDLERS if getattr(domain.commands, c.__name__, None) is not c]
    assert missing == []
    assert set(domain.commands.CASE_COMMANDS) == set(HANDLERS)
