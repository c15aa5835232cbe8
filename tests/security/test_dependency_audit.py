"""The `make audit` gate (scripts/audit_dependencies.py): what fails the build and what does not."""

from __future__ import annotations

import importlib.util
import sys

from tests.conftest import REPO

_spec = importlib.util.spec_from_file_location("audit_dependencies", REPO / "scripts" / "audit_dependencies.py")
assert _spec is not None and _spec.loader is not None
audit = importlib.util.module_from_spec(_spec)
sys.modules["audit_dependencies"] = audit  # dataclasses look their module up there
_spec.loader.exec_module(audit)


def _outcome(pip: dict | None = None, npm: dict | None = None):
    outcome = audit.Outcome()
    audit.read_pip_audit(pip or {"dependencies": [{"name": "x", "version": "1", "vulns": []}]}, outcome)
    audit.read_npm_audit(npm or {"vulnerabilities": {}}, outcome)
    return outcome


def test_a_python_vulnerability_with_a_fix_fails(capsys) -> None:
    outcome = _outcome(pip={"dependencies": [
        {"name": "django", "version": "5.2.0", "vulns": [
            {"id": "PYSEC-2025-1", "aliases": ["CVE-2025-1"], "fix_versions": ["5.2.1"]}]},
        {"name": "celery", "version": "5.7.0", "vulns": []},
    ]})
    assert audit.report(outcome) == 1
    assert "VULNERABLE: python: django 5.2.0: PYSEC-2025-1 / CVE-2025-1 (fixed in 5.2.1)" in capsys.readouterr().out


def test_a_vulnerability_without_a_fix_is_reported_but_does_not_fail(capsys) -> None:
    outcome = _outcome(pip={"dependencies": [
        {"name": "openpyxl", "version": "3.1.5", "vulns": [{"id": "GHSA-x", "fix_versions": []}]}]})
    assert audit.report(outcome) == 0
    assert "without a fix (not failing): python: openpyxl 3.1.5: GHSA-x (no fixed version yet)" in \
        capsys.readouterr().out


def test_npm_high_and_critical_with_a_fix_fail_and_lower_severities_do_not(capsys) -> None:
    npm = {"vulnerabilities": {
        "nhsuk-frontend": {"severity": "high", "range": "<10.6.2", "fixAvailable": True,
                           "via": [{"title": "XSS in header"}]},
        "tiny": {"severity": "moderate", "range": "*", "fixAvailable": True, "via": [{"title": "meh"}]},
    }}
    assert audit.report(_outcome(npm=npm)) == 1
    out = capsys.readouterr().out
    assert "VULNERABLE: npm: nhsuk-frontend <10.6.2: XSS in header (fixed in npm audit fix)" in out
    assert "tiny" not in out


def test_an_unreachable_service_is_said_plainly_and_does_not_fail(capsys) -> None:
    pip = {"dependencies": [{"name": "django", "skip_reason": "Dependency not found on PyPI"},
                            {"name": "celery", "skip_reason": "Dependency not found on PyPI"}]}
    npm = {"message": "405 Method Not Allowed - POST https://registry.example/-/npm/v1/security/advisories/bulk",
           "error": {"summary": ""}}
    assert audit.report(_outcome(pip=pip, npm=npm)) == 0
    out = capsys.readouterr().out
    assert "NOT CHECKED: pip-audit could not audit any of the 2 Python packages" in out
    assert "NOT CHECKED: npm audit could not reach the advisory service: 405 Method Not Allowed" in out
    assert "among the packages that could be checked" in out

