"""The synthetic caseload sits outside the application: it may use the core, the core never uses it."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def imported_packages(folder: str) -> dict[str, set[str]]:
    """Each module under `folder` and the top-level packages it imports."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / folder).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(ROOT))] = names
    return found


def test_the_synthetic_caseload_imports_only_the_domain_and_the_application() -> None:
    project = {"domain", "application", "adapters", "projections", "consumers", "api", "scripts"}
    outside = {
        module: sorted(names & project - {"domain", "application"})
        for module, names in imported_packages("synthetic").items()
        if names & project - {"domain", "application"}
    }
    assert outside == {}
    assert any("domain" in names for names in imported_packages("synthetic").values())


def test_no_layer_of_the_system_imports_the_synthetic_caseload_only_scripts_do() -> None:
    users = {
        module
        for folder in ("domain", "application", "adapters", "projections", "consumers", "api")
        for module, names in imported_packages(folder).items()
        if "synthetic" in names
    }
    assert users == set()
