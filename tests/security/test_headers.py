"""Security headers on every page, a strict Content-Security-Policy that the pages obey, and
`manage.py check --deploy` clean with production settings."""

from __future__ import annotations

import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings

from tests.conftest import PASSWORD, REPO
from tests.security.helpers import confirmed_totp_device, production_env
from tests.security.html_checks import inline_code

pytestmark = pytest.mark.django_db

EXPECTED_CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self' https://assets.nhs.uk",
    "connect-src": "'self'",
    "object-src": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
    "base-uri": "'self'",
}
PUBLIC_PAGES = ["/", "/trusts/", "/trusts/RWE/", "/trusts/regions/Y60/", "/sign-in/", "/password-reset/",
                "/accessibility/", "/privacy/"]


def _policy(header: str) -> dict[str, str]:
    return {part.split()[0]: " ".join(part.split()[1:]) for part in header.split(";") if part.strip()}


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_every_page_sends_the_security_headers(client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    assert _policy(response["Content-Security-Policy"]) == EXPECTED_CSP
    assert "unsafe" not in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_not_found_and_lock_out_pages_send_them_too(client, ada) -> None:
    assert "frame-ancestors 'none'" in client.get("/trusts/NOPE1/")["Content-Security-Policy"]
    for _ in range(5):
        response = client.post("/sign-in/", {"username": ada.email, "password": "wrong"})
    assert response.status_code == 429
    assert _policy(response["Content-Security-Policy"]) == EXPECTED_CSP
    assert inline_code(response.content.decode()) == []


@override_settings(SECURE_HSTS_SECONDS=31_536_000, SECURE_HSTS_INCLUDE_SUBDOMAINS=True, SECURE_HSTS_PRELOAD=True)
def test_https_responses_carry_hsts(client) -> None:
    response = client.get("/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_pages_have_no_inline_script_or_style(client, path: str) -> None:
    assert inline_code(client.get(path).content.decode()) == []


def test_signed_in_pages_have_no_inline_script_or_style(client, nia, ada) -> None:
    bad_sign_in = client.post("/sign-in/", {"username": "x@y.example", "password": "nope"})
    assert inline_code(bad_sign_in.content.decode()) == []
    client.post("/sign-in/", {"username": ada.email, "password": PASSWORD})
    for path in ["/account/", "/account/two-factor/set-up/", "/trusts/RWE/"]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert inline_code(response.content.decode()) == [], path
    client.force_login(nia)
    for params in [{}, {"trust": "!!", "date_from-day": "40"}]:
        response = client.get("/audit/", params)
        assert inline_code(response.content.decode()) == []
    confirmed_totp_device(ada)
    client.force_login(ada)
    response = client.post("/account/two-factor/verify/", {"code": "x"})
    assert inline_code(response.content.decode()) == []


def test_no_template_has_inline_script_style_or_handlers() -> None:
    """Every template in the project and the crispy pack's golden output: a strict CSP would
    silently break any of these, so they fail here first."""
    problems = {}
    sources = [*Path(REPO, "templates").rglob("*.html"), *Path(REPO, "tests/crispy_forms_nhsuk/golden").glob("*.html")]
    for path in sources:
        found = inline_code(path.read_text(encoding="utf-8"))
        if found:
            problems[str(path.relative_to(REPO))] = found
    assert problems == {}
    assert len(sources) > 20


def test_the_inline_finder_finds_what_it_should() -> None:
    found = inline_code('<p style="color:red" onclick="x()"><script>1</script><style>p{}</style>'
                        '<a href="javascript:alert(1)">x</a><script src="/static/js/ok.js"></script>')
    assert [p.split(": ", 1)[1] for p in found] == [
        "style attribute 'color:red'", "event handler attribute onclick", "inline script", "<style> element",
        "javascript: URL"]


def test_check_deploy_is_clean_with_production_settings() -> None:
    # Only what production would have: no test-run variables (the browser tests set
    # DJANGO_ALLOW_ASYNC_UNSAFE in this process, which check --deploy rightly flags).
    env = production_env(SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="strikeops.example.nhs.uk")
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_check_deploy_would_catch_a_weak_production_setting() -> None:
    # The test above can fail: the same check with a short secret key and no HSTS is not clean.
    env = production_env(SECRET_KEY="short", ALLOWED_HOSTS="strikeops.example.nhs.uk", SECURE_HSTS_SECONDS="0")
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "security.W009" in result.stderr + result.stdout and "security.W004" in result.stderr + result.stdout
