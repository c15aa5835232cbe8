"""Every page of the URL configuration, as every role, is valid HTML by the Nu HTML Checker (vnu.jar,
the W3C's validator, from npm): the permission matrix's world and URLs, each HTML answer (error pages
included) written to a file, and one run of the checker over all of them.

Needs Java (`.ci/run` installs it when missing); with CI=true a missing Java or vnu.jar fails."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from tests.conftest import REPO, require_service
from tests.security.test_permission_matrix import (  # noqa: F401 - fixtures
    POLICY,
    ROLES,
    Target,
    World,
    _for,
    _headers,
    _url,
    clients,
    role_clients,
    world,
)

VNU = REPO / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
pytestmark = [pytest.mark.django_db, pytest.mark.timeout(600)]


def _pages(world: World, clients: dict[str, Client]  # noqa: F811 - the fixtures
           ) -> dict[str, tuple[str, str, bytes]]:
    """{digest: (url, role, html)} for every HTML answer, each distinct page once."""
    pages: dict[str, tuple[str, str, bytes]] = {}
    for code in ("RWE", "RX1"):
        targets = _for(code)(world)
        for name in sorted(POLICY):
            target = targets[name]() if name in targets else Target()
            url = _url(name, target)
            for role in ROLES:
                response: Any = clients[role].get(url, **_headers(name, role, world))
                if response.status_code in (301, 302) or not response.get("Content-Type", "").startswith("text/html"):
                    continue
                content = b"".join(response.streaming_content) if response.streaming else response.content
                if not content.strip():
                    continue  # e.g. a 405 for a POST-only address: nothing to validate
                digest = hashlib.sha256(content).hexdigest()
                pages.setdefault(digest, (url, role, content))
    return pages


def _validate(directory: Path) -> list[dict[str, Any]]:
    done = subprocess.run(
        ["java", "-jar", str(VNU), "--errors-only", "--format", "json", "--skip-non-html", str(directory)],
        capture_output=True, text=True, timeout=540, check=False)
    report = json.loads(done.stderr or '{"messages": []}')
    messages: list[dict[str, Any]] = report["messages"]
    return messages


def test_every_page_as_every_role_is_valid_html(world: World, clients: dict[str, Client],  # noqa: F811
                                                 tmp_path: Path) -> None:
    require_service("Java", shutil.which("java") is not None,
                    "install a Java runtime (apt-get install default-jre-headless)")
    require_service("vnu.jar", VNU.exists(), "run npm ci (vnu-jar is a devDependency)")
    pages = _pages(world, clients)
    assert len(pages) > 100, f"only {len(pages)} distinct HTML pages: the walk did not reach the site"
    names = {}
    for number, (_digest, (url, role, content)) in enumerate(sorted(pages.items())):
        path = tmp_path / f"page{number:04d}.html"
        path.write_bytes(content)
        names[path.name] = f"{url} as {role}"
    errors = _validate(tmp_path)
    # One line per distinct message, with how many pages have it and the first of them.
    grouped: dict[str, list[str]] = {}
    for error in errors:
        where = names.get(Path(error.get("url", "")).name, error.get("url", ""))
        grouped.setdefault(error["message"], []).append(f"{where} line {error.get('lastLine')}")
    assert not errors, f"{len(errors)} HTML errors:\n" + "\n".join(
        f"- {message} ({len(places)}x; first: {places[0]})" for message, places in grouped.items())


def test_the_checker_finds_an_error_when_there_is_one(tmp_path: Path) -> None:
    """The run above can fail: the same invocation reports a known error."""
    require_service("Java", shutil.which("java") is not None, "install a Java runtime")
    (tmp_path / "bad.html").write_text('<!doctype html><html lang="en"><head><title>x</title></head>'
                                       '<body><pre aria-label="x">a</pre><p role="text">b</p></body></html>')
    messages = _validate(tmp_path)
    assert len(messages) == 2
    assert "aria-label" in messages[0]["message"]
