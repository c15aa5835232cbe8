"""Hostile paths and bodies answer 400/404 (never 500); error pages are NHS.UK pages without inline
style; the API answers every error in its one JSON shape (trusts/views/errors.py,
strikeops/middleware.py)."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tests.security.html_checks import inline_code

NUL_PATHS = ["/trusts/%00/", "/notices/trusts/%00/feed/", "/api/v1/notices/%00/x/", "/reports/%00/",
             "/messages/%00/", "/trusts/a%01b/", "/api/v1/actions/%00/"]


@pytest.mark.django_db
@pytest.mark.parametrize("path", NUL_PATHS)
def test_control_characters_in_a_path_answer_404_never_500(path: str, ada) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(ada)
    response = client.get(path)
    assert response.status_code == 404
    if path.startswith("/api/"):
        assert response.json()["error"]["code"] == "not_found"
    else:
        page = response.content.decode()
        assert "<title>Page not found - strikeops - NHS</title>" in page
        assert "nhsuk-header" in page and inline_code(page) == []


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/?q=%00", "/notices/?trust=%00", "/api/v1/returns/?trust=R%00"])
def test_control_characters_in_a_query_answer_400(path: str, ada) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(ada)
    response = client.get(path)
    assert response.status_code == 400
    if path.startswith("/api/"):
        assert response.json()["error"]["code"] == "bad_request"
    else:
        page = response.content.decode()
        assert "<title>Sorry, we could not read that request - strikeops - NHS</title>" in page
        assert inline_code(page) == []


@pytest.mark.django_db
def test_an_unknown_asset_is_404_and_a_known_one_redirects(client) -> None:
    assert client.get("/assets/images/no-such-icon.svg").status_code == 404
    assert client.get("/assets/../../settings.py").status_code in (400, 404)
    assert client.get("/assets/images/nhsuk-icon-arrow-up-down.svg").status_code == 302


@pytest.mark.django_db
def test_a_csrf_failure_is_the_branded_403_page() -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/sign-in/", {"username": "a@example.nhs.uk", "password": "x"})
    page = response.content.decode()
    assert response.status_code == 403
    assert "<title>You cannot do this - strikeops - NHS</title>" in page
    assert "CSRF" not in page and inline_code(page) == []


@pytest.mark.django_db
def test_error_pages_have_no_inline_style(client) -> None:
    from django.template import loader

    for name in ("400.html", "403.html", "404.html"):
        page = client.get("/no-such-page/").content.decode() if name == "404.html" else None
        if page is not None:
            assert inline_code(page) == []
    assert inline_code(loader.get_template("500.html").render()) == []


@pytest.mark.django_db
def test_api_body_over_the_size_limit_is_json_400(settings, ada) -> None:
    from trusts.services.api_tokens import api_token_create

    secret = api_token_create(user=ada, name="big").secret
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client = Client(raise_request_exception=False)
    response = client.put("/api/v1/returns/RXX/none/2026-01-01/", data=json.dumps({"x": "y" * 5000}),
                          content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert response.status_code in (400, 404, 413)
    assert response["Content-Type"].startswith("application/json")
    assert set(response.json()["error"]) >= {"status", "code", "message", "fields", "warnings"}


@pytest.mark.django_db
def test_api_crash_is_json_500(rf) -> None:
    from trusts.views.errors import server_error

    response = server_error(rf.get("/api/v1/returns/"))
    assert response.status_code == 500
    assert json.loads(response.content)["error"] == {
        "status": 500, "code": "server_error", "message": "Sorry, there is a problem with the service.",
        "fields": {}, "warnings": []}


@pytest.mark.django_db
def test_deeply_nested_json_is_a_json_error_not_a_500(ada) -> None:
    from trusts.models import ApiToken  # noqa: F401  (the token service makes one below)
    from trusts.services.api_tokens import api_token_create

    secret = api_token_create(user=ada, name="nest").secret
    client = Client(raise_request_exception=False)
    body = "[" * 100_000 + "]" * 100_000
    response = client.post("/api/v1/returns/RXX/none/2026-01-01/", data=body, content_type="application/json",
                           HTTP_AUTHORIZATION=f"bearer {secret}")
    assert response.status_code in (400, 404, 405, 422)
    assert response["Content-Type"].startswith("application/json")
    assert "error" in response.json()
