"""Redis (the broker) down when a notice is published or a subscription is asked for: the request
succeeds, nothing is lost, and nothing is sent twice once the broker is back."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.utils import timezone

from notices.models import SubscriberEmail, Subscription
from notices.services.notices import notice_create, notice_publish
from notices.services.subscriptions import subscription_request
from strikeops.celery import app
from tests.conftest import _forget_connections, celery_changes
from tests.notices.delivery_support import recover

pytestmark = pytest.mark.django_db

UNREACHABLE = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture
def broker_down():
    saved = {k: celery_changes(app)[k] for k in ("task_always_eager", "broker_url") if k in celery_changes(app)}
    app.conf.update(task_always_eager=False, broker_url=UNREACHABLE, broker_connection_max_retries=0,
                    task_publish_retry=False)
    _forget_connections(app)
    yield
    for key in ("task_always_eager", "broker_url", "broker_connection_max_retries", "task_publish_retry"):
        celery_changes(app).pop(key, None)
    app.conf.update(**saved)
    _forget_connections(app)


def _confirmed(trust, email: str) -> Subscription:
    return Subscription.objects.create(trust=trust, email=email, status="confirmed",
                                       confirmed_at=timezone.now() - dt.timedelta(days=1))


def test_a_notice_published_while_redis_is_down_reaches_subscribers_once_it_is_back(
        rwe, chris, broker_down, django_capture_on_commit_callbacks, caplog) -> None:
    _confirmed(rwe, "ann@example.com")
    _confirmed(rwe, "bob@example.com")
    notice = notice_create(trust=rwe, user=chris, title="Service update", body="We are sorry.", what_to_do="Attend.")
    with django_capture_on_commit_callbacks(execute=True):
        version = notice_publish(notice=notice, user=chris)  # must not raise
    assert f"notices.notify_subscribers({version.pk}): Redis is unreachable" in caplog.text
    assert "ann@example.com" not in caplog.text
    assert not SubscriberEmail.objects.exists()
    assert mail.outbox == []

    # The broker is back (eager again); the beat task recovers the version once it is stale.
    celery_changes(app).pop("task_always_eager", None)
    app.conf.update(task_always_eager=True)
    version.published_at = timezone.now() - dt.timedelta(minutes=11)
    version.save(update_fields=["published_at"])
    report = recover()
    assert (report["subscriber_versions"], report["subscriber_emails"]) == (1, 0)
    assert sorted(m.to[0] for m in mail.outbox) == ["ann@example.com", "bob@example.com"]
    report = recover()
    assert (report["subscriber_versions"], report["subscriber_emails"]) == (0, 0)
    assert len(mail.outbox) == 2


def test_a_late_recovery_does_not_send_an_old_notice_to_a_new_subscriber(rwe, chris) -> None:
    notice = notice_create(trust=rwe, user=chris, title="Service update", body="We are sorry.", what_to_do="Attend.")
    version = notice_publish(notice=notice, user=chris)
    version.published_at = timezone.now() - dt.timedelta(hours=1)
    version.save(update_fields=["published_at"])
    _confirmed(rwe, "new@example.com").__class__.objects.filter(email="new@example.com").update(
        confirmed_at=timezone.now())
    recover()
    assert mail.outbox == []


def test_a_subscription_asked_for_while_redis_is_down_still_gets_its_confirmation(
        rwe, broker_down, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        subscription_request(trust=rwe, email="Carol@Example.com")
    assert [m.to for m in mail.outbox] == [["carol@example.com"]]
    assert "confirm" in mail.outbox[0].body.lower()


def test_a_task_that_cannot_be_queued_is_logged_or_run_here_as_it_declares(
        broker_down, django_capture_on_commit_callbacks, caplog) -> None:
    """The one tolerance (strikeops.celery.Task.delay_on_commit): nothing is raised into the caller,
    whose change is committed; a task declared run_here_if_unqueued runs in this process instead."""
    ran: list[object] = []

    @app.task(name="tests.run_here", run_here_if_unqueued=True, shared=False)
    def run_here(value: int) -> None:
        ran.append(value)

    @app.task(name="tests.left_for_recovery", shared=False)
    def left_for_recovery(value: int) -> None:
        ran.append(("left", value))

    try:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            run_here.delay_on_commit(1)
            left_for_recovery.delay_on_commit(2)
            assert ran == []  # nothing before the commit
        assert len(callbacks) == 2
        assert ran == [1]
        assert re.search(r"tests\.run_here\(1\): Redis is unreachable \(\w+\); running it in-process", caplog.text)
        assert re.search(r"tests\.left_for_recovery\(2\): Redis is unreachable \(\w+\); the recovery task will "
                         r"queue it", caplog.text)
    finally:
        for name in ("tests.run_here", "tests.left_for_recovery"):
            app.tasks.pop(name, None)
