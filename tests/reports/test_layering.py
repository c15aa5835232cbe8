"""The reports app stands on trusts, one way: nothing in trusts imports reports (README, Architecture).

Read from the source (every import statement, at any depth, including imports inside functions), so
that an import added to dodge a cycle is caught as well as one at the top of a module."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def imported_modules(source: str) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module)
    return modules


def imports_of_app(app: str, package: str) -> list[str]:
    """'file: module' for every import of `package` (or a module under it) in the app's Python files."""
    found = []
    for path in sorted((REPO / app).rglob("*.py")):
        for module in sorted(imported_modules(path.read_text(encoding="utf-8"))):
            if module == package or module.startswith(package + "."):
                found.append(f"{path.relative_to(REPO)}: {module}")
    return found


def test_the_check_sees_imports_at_any_depth() -> None:
    source = "import reports\nfrom reports.models import Release\ndef f():\n    from reports.selectors import reports\n"
    assert imported_modules(source) == {"reports", "reports.models", "reports.selectors"}


def test_trusts_imports_nothing_from_reports() -> None:
    assert imports_of_app("trusts", "reports") == []


def test_reports_does_import_trusts() -> None:
    # The other direction is the design: were this empty, the check above would be looking at nothing.
    assert imports_of_app("reports", "trusts")
