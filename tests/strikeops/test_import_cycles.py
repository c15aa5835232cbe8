"""No import cycles in the app packages (issue 17): no module imports one that imports it back,
directly or through others. The graph is grimp's (the engine of import-linter), which counts every
import statement, those inside functions too: an import moved into a function to hide a cycle fails
here as the cycle it still is, and the message says which line is inside a function."""

from __future__ import annotations

import ast
import importlib.util
import itertools
import sys
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import grimp
import pytest
from django.apps import apps

REPO = Path(__file__).resolve().parents[2]


def app_packages() -> list[str]:
    """Our own top-level packages: strikeops (the wiring) and every installed app in this repository,
    so that a new app is checked without anyone listing it here."""
    # A package at the top of the repository, not one installed in a virtualenv inside it (.venv).
    ours = {top for top in (config.name.split(".")[0] for config in apps.get_app_configs())
            if (REPO / top / "__init__.py").is_file()}
    return sorted(ours | {"strikeops"})


def import_cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """One cycle per strongly connected group of modules (Tarjan's algorithm, iteratively), each as
    [a, b, ..., a], shortest from the group's first module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    groups: list[list[str]] = []
    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child)))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
    cycles = []
    for group in groups:
        first = group[0]
        paths = [graph.find_shortest_chain(importer=child, imported=first)
                 for child in graph.find_modules_directly_imported_by(first) if child in group]
        shortest = min((path for path in paths if path), key=len)
        cycles.append([first, *shortest])
    return cycles


@cache
def _function_lines(path: Path) -> frozenset[int]:
    """Line numbers of the import statements inside a function in this file."""
    lines: set[int] = set()
    for function in ast.walk(ast.parse(path.read_text())):
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            lines.update(node.lineno for node in ast.walk(function) if isinstance(node, ast.Import | ast.ImportFrom))
    return frozenset(lines)


def describe(graph: grimp.ImportGraph, cycle: list[str]) -> str:
    steps = []
    for importer, imported in itertools.pairwise(cycle):
        spec = importlib.util.find_spec(importer)
        path = Path(spec.origin) if spec and spec.origin else None
        for detail in graph.get_import_details(importer=importer, imported=imported):
            inside = path is not None and detail["line_number"] in _function_lines(path)
            steps.append(f"  {importer}:{detail['line_number']} {detail['line_contents']}"
                         + ("   <- inside a function" if inside else ""))
    return " -> ".join(cycle) + "\n" + "\n".join(steps)


def assert_no_cycles(packages: Iterable[str]) -> None:
    graph = grimp.build_graph(*packages, cache_dir=None)
    cycles = import_cycles(graph)
    assert not cycles, "Import cycles (move the shared code down a layer; do not hide the import in a " \
                       "function):\n" + "\n".join(describe(graph, cycle) for cycle in cycles)


def test_the_app_packages_have_no_import_cycle() -> None:
    packages = app_packages()
    assert {"strikeops", "trusts", "reports", "notices", "crispy_forms_nhsuk"} <= set(packages)
    assert_no_cycles(packages)


@pytest.mark.parametrize(("a", "b", "message"), [
    ("from shop import b\n", "from shop import a\n", "shop.a -> shop.b -> shop.a"),
    # The dodge: the import back is inside a function, so the module loads, but the cycle is there.
    ("from shop import b\n", "def later():\n    from shop import a\n    return a\n", "inside a function"),
    ("from shop import c\n", "from shop import a\n", "shop.a -> shop.c -> shop.b -> shop.a"),
])
def test_a_cycle_is_found_directly_through_others_and_inside_a_function(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, a: str, b: str, message: str) -> None:
    package = tmp_path / "shop"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text(a)
    (package / "b.py").write_text(b)
    (package / "c.py").write_text("from shop import b\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        with pytest.raises(AssertionError, match=message):
            assert_no_cycles(["shop"])
    finally:
        for name in [m for m in sys.modules if m == "shop" or m.startswith("shop.")]:
            del sys.modules[name]


def test_modules_that_import_each_other_one_way_pass(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "layered"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "services.py").write_text("def work():\n    return 1\n")
    (package / "tasks.py").write_text("from layered.services import work\n")
    (package / "views.py").write_text("from layered import services, tasks\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert_no_cycles(["layered"])
