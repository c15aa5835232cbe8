"""Known-vulnerability check of our pinned dependencies (`make audit`, run by `make test`).

Fails (exit 1) on a known vulnerability for which a fixed version exists, in a Python package
(pip-audit over requirements*.txt) or a production npm package (npm audit --omit=dev, severity
high or critical). A vulnerability with no fix yet is reported but does not fail the build:
there is nothing to upgrade to. When a vulnerability service cannot be reached (no network, or
a registry mirror without the audit API) the script says so plainly and does not fail: an
unreachable service is not evidence of a vulnerability, and it must not read as "no known
vulnerabilities" either.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
BLOCKING_NPM_SEVERITIES = {"high", "critical"}


@dataclass
class Finding:
    ecosystem: str
    package: str
    version: str
    advisory: str
    fixed_in: list[str]

    def __str__(self) -> str:
        fix = f"fixed in {', '.join(self.fixed_in)}" if self.fixed_in else "no fixed version yet"
        return f"{self.ecosystem}: {self.package} {self.version}: {self.advisory} ({fix})"


@dataclass
class Outcome:
    blocking: list[Finding] = field(default_factory=list)
    unfixed: list[Finding] = field(default_factory=list)
    not_audited: list[str] = field(default_factory=list)
    unreachable: list[str] = field(default_factory=list)


def read_pip_audit(report: dict[str, Any], outcome: Outcome) -> None:
    dependencies = report.get("dependencies", [])
    skipped = [d["name"] for d in dependencies if d.get("skip_reason")]
    if dependencies and len(skipped) == len(dependencies):
        outcome.unreachable.append(
            f"pip-audit could not audit any of the {len(dependencies)} Python packages: the PyPI "
            "vulnerability service did not answer for them (no network, or a mirror without it)")
        return
    outcome.not_audited += [f"python: {name}" for name in skipped]
    for dependency in dependencies:
        for vuln in dependency.get("vulns", []):
            finding = Finding("python", dependency["name"], dependency.get("version", "?"),
                              " / ".join([vuln["id"], *vuln.get("aliases", [])]), vuln.get("fix_versions", []))
            (outcome.blocking if finding.fixed_in else outcome.unfixed).append(finding)


def read_npm_audit(report: dict[str, Any], outcome: Outcome) -> None:
    if "vulnerabilities" not in report:
        reason = report.get("message") or report.get("error", {}).get("summary") or "no audit report"
        outcome.unreachable.append(f"npm audit could not reach the advisory service: {reason}")
        return
    for name, vuln in report["vulnerabilities"].items():
        if vuln.get("severity") not in BLOCKING_NPM_SEVERITIES:
            continue
        advisories = [v["title"] if isinstance(v, dict) else f"via {v}" for v in vuln.get("via", [])]
        fix = vuln.get("fixAvailable")
        fixed_in = [f"{fix['name']}@{fix['version']}"] if isinstance(fix, dict) else (["npm audit fix"] if fix else [])
        finding = Finding("npm", name, vuln.get("range", "?"), "; ".join(advisories) or vuln["severity"], fixed_in)
        (outcome.blocking if fixed_in else outcome.unfixed).append(finding)


def _json_from(command: list[str]) -> dict[str, Any] | None:
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)  # noqa: S603
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        return None
    return report if isinstance(report, dict) else None


def run() -> Outcome:
    outcome = Outcome()
    bin_dir = Path(sys.executable).parent
    pip_report = _json_from([str(bin_dir / "pip-audit"), "-r", "requirements.txt", "-r", "requirements-dev.txt",
                             "-r", "requirements-local.txt",
                             # Every requirement is pinned, so there is nothing to resolve.
                             "--no-deps", "--disable-pip", "--progress-spinner", "off", "-f", "json"])
    if pip_report is None:
        outcome.unreachable.append("pip-audit produced no report (the vulnerability service is unreachable)")
    else:
        read_pip_audit(pip_report, outcome)
    npm = shutil.which("npm")
    if npm is None:
        outcome.unreachable.append("npm is not installed, so the npm packages were not audited")
    else:
        npm_report = _json_from([npm, "audit", "--omit=dev", "--json"])
        read_npm_audit(npm_report or {}, outcome)
    return outcome


def report(outcome: Outcome) -> int:
    for line in outcome.unreachable:
        print(f"NOT CHECKED: {line}.")
    if outcome.not_audited:
        print("Not audited (unknown to the vulnerability service): " + ", ".join(outcome.not_audited))
    for finding in outcome.unfixed:
        print(f"Known vulnerability without a fix (not failing): {finding}")
    for finding in outcome.blocking:
        print(f"VULNERABLE: {finding}")
    if outcome.blocking:
        print(f"{len(outcome.blocking)} known vulnerabilit{'y' if len(outcome.blocking) == 1 else 'ies'} with a "
              "fixed version: upgrade the pins.")
        return 1
    print("No known vulnerability with a fixed version" + (" among the packages that could be checked."
                                                            if outcome.unreachable else "."))
    return 0


if __name__ == "__main__":
    sys.exit(report(run()))
