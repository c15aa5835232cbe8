"""The type-checking profiles of pyproject.toml [tool.mypy], run as `make typecheck` (part of `make test`):
strict for the app (an unannotated def fails), looser for the tests (untyped defs allowed, bodies checked)."""

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
APP = ("strikeops", "trusts", "notices", "crispy_forms_nhsuk", "scripts", "bench")
UNANNOTATED = "def double(x):\n    return x * 2\n"
WRONG_BODY = "def count(text):\n    total: int = len(text)\n    return total + 'a'\n"


def _mypy(path: Path) -> subprocess.CompletedProcess[str]:
    # A file named on the command line replaces the config's `files`; everything else (strictness,
    # the per-module profiles, the django-stubs plugin) comes from the project's pyproject.toml.
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(REPO / "pyproject.toml"), "--cache-dir", "/dev/null",
         str(path)], cwd=REPO, capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture
def app_module(tmp_path: Path) -> Path:
    return tmp_path / "probe.py"


@pytest.fixture
def test_module(tmp_path: Path) -> Path:
    package = tmp_path / "tests"
    package.mkdir()
    (package / "__init__.py").write_text("")
    return package / "test_probe.py"


def test_an_unannotated_def_in_the_app_fails(app_module: Path) -> None:
    app_module.write_text(UNANNOTATED)
    result = _mypy(app_module)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Function is missing a type annotation  [no-untyped-def]" in result.stdout


def test_an_annotated_def_in_the_app_passes(app_module: Path) -> None:
    app_module.write_text("def double(x: int) -> int:\n    return x * 2\n")
    result = _mypy(app_module)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_test_may_be_unannotated_but_its_body_is_checked(test_module: Path) -> None:
    test_module.write_text(UNANNOTATED)
    assert _mypy(test_module).returncode == 0
    test_module.write_text(WRONG_BODY)
    result = _mypy(test_module)
    assert result.returncode == 1
    assert 'Unsupported operand types for + ("int" and "str")  [operator]' in result.stdout


def test_no_app_def_silences_its_missing_annotations() -> None:
    """`# type: ignore[no-untyped-def]` would let an unannotated def through the strict profile."""
    silenced = [f"{path.relative_to(REPO)}:{number}" for package in APP for path in (REPO / package).rglob("*.py")
                if "migrations" not in path.parts
                for number, line in enumerate(path.read_text().splitlines(), 1) if "ignore[no-untyped-def" in line]
    assert silenced == []
