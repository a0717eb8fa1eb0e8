"""The suite itself: every test checks something, so a test cannot pass by merely not raising."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]

# pytest's own checks; any call named `assert...` (assert_problem, mock.assert_called_once) counts too.
CHECKING_CALLS = frozenset({"raises", "warns", "fail", "deprecated_call"})

Function = ast.FunctionDef | ast.AsyncFunctionDef


def called_name(call: ast.Call) -> str:
    function = call.func
    if isinstance(function, ast.Attribute):
        return function.attr
    return function.id if isinstance(function, ast.Name) else ""


def checks_directly(function: Function) -> bool:
    """An assert, a raise, or a call to pytest's checks or to anything named assert*."""
    for node in ast.walk(function):
        if isinstance(node, ast.Assert | ast.Raise):
            return True
        if isinstance(node, ast.Call):
            name = called_name(node)
            if name in CHECKING_CALLS or name.startswith("assert"):
                return True
    return False


def functions(tree: ast.AST) -> Iterator[Function]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def checking_helpers(trees: list[ast.Module]) -> set[str]:
    """Names of helpers that check, directly or through other checking helpers.

    Calls are matched by name only, so a name counts only when every helper of that name in the
    suite checks: a checking `do` in one file must not vouch for a `do` that merely acts.
    """
    helpers: dict[str, list[Function]] = {}
    for tree in trees:
        for function in functions(tree):
            if not function.name.startswith("test"):
                helpers.setdefault(function.name, []).append(function)

    def checks(function: Function, known: set[str]) -> bool:
        return checks_directly(function) or any(
            isinstance(node, ast.Call) and called_name(node) in known for node in ast.walk(function)
        )

    known: set[str] = set()
    while True:
        found = {
            name
            for name, definitions in helpers.items()
            if name not in known and all(checks(each, known) for each in definitions)
        }
        if not found:
            return known
        known |= found


def silent_tests(sources: dict[str, str]) -> list[str]:
    """`path:line name` of each test function with no assert, no raises and no checking helper."""
    trees = {path: ast.parse(source, path) for path, source in sources.items()}
    helpers = checking_helpers(list(trees.values()))
    silent = []
    for path, tree in sorted(trees.items()):
        if not Path(path).name.startswith("test_"):
            continue
        for function in functions(tree):
            if not function.name.startswith("test") or checks_directly(function):
                continue
            calls = {called_name(n) for n in ast.walk(function) if isinstance(n, ast.Call)}
            if not calls & helpers:
                silent.append(f"{path}:{function.lineno} {function.name}")
    return silent


def test_every_test_in_the_suite_asserts_raises_or_calls_a_helper_that_does() -> None:
    sources = {
        str(path.relative_to(TESTS.parent)): path.read_text(encoding="utf-8")
        for path in sorted(TESTS.rglob("*.py"))
    }
    assert silent_tests(sources) == []


def test_a_test_that_only_runs_a_command_is_reported_and_one_that_checks_is_not() -> None:
    source = """
import pytest

def act(file):
    file.do()

def act_and_check(file):
    act(file)
    assert file.done

def do(file):
    file.run()

def test_silent(file):
    act(file)
    do(file)

def test_with_assert(file):
    act(file)
    assert file.done

def test_with_raises(file):
    with pytest.raises(ValueError):
        act(file)

def test_with_checking_helper(file):
    act_and_check(file)

def test_with_assert_named_helper(response):
    assert_problem(response, 422)
"""
    other = "def do(file):\n    assert file.ok\n"
    assert silent_tests({"tests/unit/test_example.py": source, "tests/unit/helpers.py": other}) == [
        "tests/unit/test_example.py:14 test_silent"
    ]
