"""Public pages for anonymous readers: HTTP caching headers, 304s, no cookies, served from the shared
cache, made stale at once by publishing, updating or withdrawing a notice, and served uncached (never
a 500) when Redis is down. strikeops/public_cache.py."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django.utils.http import http_date

from notices.models import DEFAULT_WHAT_TO_DO, Notice
from notices.services.notices import notice_create, notice_publish, notice_update, notice_withdraw
from reports.models import Release
from reports.services.releases import release_publish
from tests.factories import make_action
from trusts.models import Trust

pytestmark = pytest.mark.django_db


@pytest.fixture
def notice(rwe, chris, django_capture_on_commit_callbacks) -> Notice:
    with django_capture_on_commit_callbacks(execute=True):
        notice = notice_create(trust=rwe, user=chris, title="Visiting during the strike", body="Come as planned.",
                               what_to_do=DEFAULT_WHAT_TO_DO)
        notice_publish(notice=notice, user=chris)
    notice.refresh_from_db()
    return notice


@pytest.fixture
def release(nia, django_capture_on_commit_callbacks) -> Release:
    action = make_action(affected=["RWE"])
    with django_capture_on_commit_callbacks(execute=True):
        return release_publish(action=action, user=nia, allow_incomplete=True, reason="Test: no returns yet")


def public_urls(notice: Notice, release: Release) -> list[str]:
    slug, number = release.action.slug, release.number
    return [
        reverse("notices:list"), reverse("notices:list") + "?region=&trust=RWE",
        reverse("notices:trust", args=["RWE"]), notice.get_absolute_url(),
        reverse("notices:feed"), reverse("notices:trust_feed", args=["RWE"]),
        reverse("open_data:index"), reverse("open_data:release_csv", args=[slug, number]),
        reverse("reports:releases"), reverse("reports:release", args=[slug, number]),
        reverse("reports:release_json", args=[slug, number]),
        "/api/v1/notices/", f"/api/v1/notices/RWE/{notice.slug}/", "/api/v1/releases/",
        f"/api/v1/releases/{slug}/{number}/",
        reverse("calendar:all"), reverse("calendar:trust", args=["RWE"]),
    ]


def test_every_public_page_is_cacheable_cookie_free_and_answers_revalidation_with_304(notice, release) -> None:
    for url in public_urls(notice, release):
        client = Client()
        first = client.get(url)
        assert first.status_code == 200, url
        assert first["Cache-Control"] == "public, max-age=60", url
        etag = first["ETag"]
        assert etag.startswith('"') and not etag.startswith('W/'), url  # a strong validator
        assert {"Cookie", "Authorization"} <= {v.strip() for v in first["Vary"].split(",")}, url
        assert not first.cookies and not client.cookies, (url, first.cookies)
        again = client.get(url, HTTP_IF_NONE_MATCH=etag)
        assert again.status_code == 304 and again.content == b"", url
        assert again["ETag"] == etag
        cached = client.get(url)
        assert cached.status_code == 200 and cached.content == first.content and cached["ETag"] == etag, url
        assert cached["Content-Type"] == first["Content-Type"], url
        assert client.get(url, HTTP_IF_NONE_MATCH='"something-else"').status_code == 200


def test_the_feed_answers_if_modified_since_with_304(notice) -> None:
    client = Client()
    first = client.get(reverse("notices:feed"))
    assert "Last-Modified" in first
    later = http_date((notice.published_at + dt.timedelta(minutes=5)).timestamp())
    assert client.get(reverse("notices:feed"), HTTP_IF_MODIFIED_SINCE=later).status_code == 304
    earlier = http_date((notice.published_at - dt.timedelta(days=1)).timestamp())
    assert client.get(reverse("notices:feed"), HTTP_IF_MODIFIED_SINCE=earlier).status_code == 200


@override_settings(PUBLIC_CACHE_MAX_AGE=15)
def test_max_age_is_a_setting(notice) -> None:
    assert Client().get(notice.get_absolute_url())["Cache-Control"] == "public, max-age=15"


def test_a_repeat_visit_is_served_from_the_cache_without_the_database(notice, django_assert_num_queries) -> None:
    for url in (reverse("notices:list"), notice.get_absolute_url(), reverse("notices:feed"), "/api/v1/notices/"):
        Client().get(url)
        with django_assert_num_queries(0):
            response = Client().get(url)
        assert response.status_code == 200
        assert b"Visiting during the strike" in response.content, url


def test_publishing_updating_and_withdrawing_show_at_once(notice, rwe, chris,
                                                          django_capture_on_commit_callbacks) -> None:
    client = Client()
    pages = [reverse("notices:list"), reverse("notices:trust", args=["RWE"]), reverse("notices:feed"),
             "/api/v1/notices/"]
    for url in pages:
        assert "Visiting during the strike" in client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        second = notice_create(trust=rwe, user=chris, title="Car parking on strike days", body="Park as usual.",
                               what_to_do=DEFAULT_WHAT_TO_DO)
        notice_publish(notice=second, user=chris)
    for url in pages:
        assert "Car parking on strike days" in client.get(url).content.decode(), url

    detail = notice.get_absolute_url()
    assert "Come as planned." in client.get(detail).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        notice_update(notice=notice, user=chris, title=notice.current_version.title, body="Come 10 minutes early.",
                      what_to_do=DEFAULT_WHAT_TO_DO, action=None, change_note="Arrival time")
    page = client.get(detail).content.decode()
    assert "Come 10 minutes early." in page and "Arrival time" in page

    with django_capture_on_commit_callbacks(execute=True):
        notice_withdraw(notice=notice, user=chris, reason="Published in error")
    assert "Published in error" in client.get(detail).content.decode()
    assert "Come 10 minutes early." not in client.get(reverse("notices:list")).content.decode()


def test_a_page_cached_by_a_reader_during_the_write_is_stale_after_commit(notice, chris,
                                                                         django_capture_on_commit_callbacks) -> None:
    client = Client()
    detail = notice.get_absolute_url()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notice_withdraw(notice=notice, user=chris, reason="Published in error")
        # A reader whose request sees the data from before the commit (simulated: the row as it was).
        Notice.objects.filter(pk=notice.pk).update(status="published", withdrawn_reason="", withdrawn_at=None)
        assert "Published in error" not in client.get(detail).content.decode()
        Notice.objects.filter(pk=notice.pk).update(status="withdrawn", withdrawn_reason="Published in error",
                                                   withdrawn_at=dt.datetime.now(dt.UTC))
    for callback in callbacks:
        callback()
    assert "Published in error" in client.get(detail).content.decode()


def test_signed_in_pages_stay_private_and_uncached(notice, chris) -> None:
    client = Client()
    client.force_login(chris)
    response = client.get(reverse("notices:list"))
    assert "private" in response["Cache-Control"] and "public" not in response["Cache-Control"]
    assert "Manage your trust's notices" in response.content.decode()
    # ... and the anonymous copy never carries chris's link.
    assert "Manage your trust" not in Client().get(reverse("notices:list")).content.decode()
    api = Client().get("/api/v1/notices/", HTTP_AUTHORIZATION="Bearer not-a-token")
    assert "public" not in api.get("Cache-Control", "")


@override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                       "LOCATION": "redis://127.0.0.1:9/0",  # the discard port: refused
                                       "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2}}})
def test_pages_are_served_uncached_when_redis_is_down(rwe, chris, caplog) -> None:
    notice = notice_create(trust=rwe, user=chris, title="Visiting during the strike", body="Come as planned.",
                           what_to_do=DEFAULT_WHAT_TO_DO)
    notice_publish(notice=notice, user=chris)  # the version bump fails quietly
    notice.refresh_from_db()
    for url in (reverse("notices:list"), notice.get_absolute_url(), reverse("notices:feed")):
        response = Client().get(url)
        assert response.status_code == 200, url
        assert "Visiting during the strike" in response.content.decode()
        assert response["Cache-Control"] == "public, max-age=60"
        assert Client().get(url, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304
    assert "public cache unreachable" in caplog.text


def test_the_subscribe_form_works_without_a_csrf_cookie_and_refuses_other_sites(
        rwe, mailoutbox, django_capture_on_commit_callbacks) -> None:
    client = Client(enforce_csrf_checks=True)
    page = client.get(reverse("notices:trust", args=["RWE"]))
    assert not page.cookies and "csrfmiddlewaretoken" not in page.content.decode()
    url = reverse("notices:subscribe", args=["RWE"])
    refused = client.post(url, {"email": "reader@example.org"}, HTTP_SEC_FETCH_SITE="cross-site")
    assert refused.status_code == 403
    refused = client.post(url, {"email": "reader@example.org"}, HTTP_ORIGIN="https://evil.example")
    assert refused.status_code == 403
    assert mailoutbox == []
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(url, {"email": "reader@example.org"}, HTTP_SEC_FETCH_SITE="same-origin",
                           HTTP_ORIGIN="http://testserver")
    assert sent.status_code == 302 and sent["Location"].endswith("/check-your-email/")
    assert [m.to for m in mailoutbox] == [["reader@example.org"]]
    errors = client.post(url, {"email": "not an address"}, HTTP_ORIGIN="http://testserver")
    assert "Enter an email address in the correct format" in errors.content.decode()


def test_an_unknown_trust_is_a_plain_404(db) -> None:
    response = Client().get(reverse("notices:trust", args=["ZZZ"]))
    assert response.status_code == 404 and "public" not in response.get("Cache-Control", "")
    assert Trust.objects.filter(ods_code="ZZZ").count() == 0
