"""Who may manage a trust's notices: only its communications staff (chris for RWE). Everyone else
gets 404, as if the pages did not exist; anonymous visitors are asked to sign in. Public pages are
open to all."""

from __future__ import annotations

import pytest
from django.urls import reverse

from notices.models import DEFAULT_WHAT_TO_DO, Notice, NoticeStatus
from notices.services.notices import notice_create, notice_publish
from trusts.models import Membership, Role, Trust

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(rwe, chris) -> Notice:
    return notice_create(trust=rwe, user=chris, title="Visiting", body="((trust_name)) is open.",
                         what_to_do=DEFAULT_WHAT_TO_DO)


@pytest.fixture
def published(rwe, chris) -> Notice:
    notice = notice_create(trust=rwe, user=chris, title="Parking", body="Parking is free.",
                           what_to_do=DEFAULT_WHAT_TO_DO)
    notice_publish(notice=notice, user=chris)
    notice.refresh_from_db()
    return notice


def staff_pages(draft: Notice, published: Notice) -> list[str]:
    return [
        reverse("notices:manage_trust", args=["RWE"]),
        reverse("notices:create", args=["RWE"]),
        reverse("notices:manage_notice", args=["RWE", draft.pk]),
        reverse("notices:edit", args=["RWE", draft.pk]),
        reverse("notices:withdraw", args=["RWE", published.pk]),
    ]


def test_chris_the_rwe_communications_officer_reaches_every_staff_page(client, chris, draft, published) -> None:
    client.force_login(chris)
    assert client.get(reverse("notices:manage")).url == reverse("notices:manage_trust", args=["RWE"])
    for url in staff_pages(draft, published):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("who", ["ada", "tom", "morgan", "sam", "nia", "pat"])
def test_no_other_role_sees_rwes_staff_pages(client, request, who, draft, published) -> None:
    """ada administers RWE but does not write its public statements (docs/notices.md); tom is another
    trust's administrator; morgan and nia manage regions and England, not a trust's voice; pat has no role."""
    client.force_login(request.getfixturevalue(who))
    for url in [reverse("notices:manage"), *staff_pages(draft, published)]:
        assert client.get(url).status_code == 404, (who, url)


@pytest.mark.parametrize("who", ["ada", "tom", "morgan", "nia"])
def test_no_other_role_can_write_rwes_notices(client, request, who, rwe, draft, published) -> None:
    client.force_login(request.getfixturevalue(who))
    data = {"action": "", "title": "Hijack", "body": "b", "what_to_do": "w", "save": "1"}
    assert client.post(reverse("notices:create", args=["RWE"]), data).status_code == 404
    assert client.post(reverse("notices:edit", args=["RWE", draft.pk]), data).status_code == 404
    assert client.post(reverse("notices:publish", args=["RWE", draft.pk])).status_code == 404
    assert client.post(reverse("notices:withdraw", args=["RWE", published.pk]), {"reason": "x"}).status_code == 404
    assert not Notice.objects.filter(title="Hijack").exists()
    draft.refresh_from_db()
    published.refresh_from_db()
    assert (draft.status, published.status) == (NoticeStatus.DRAFT, NoticeStatus.PUBLISHED)


def test_an_anonymous_visitor_is_asked_to_sign_in_for_staff_pages(client, draft, published) -> None:
    for url in staff_pages(draft, published):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login")), url
    assert client.post(reverse("notices:publish", args=["RWE", draft.pk])).status_code == 302
    draft.refresh_from_db()
    assert draft.status == NoticeStatus.DRAFT


def test_chris_cannot_reach_another_trusts_notices_even_by_changing_the_address(client, chris, tom) -> None:
    rx1 = Trust.objects.get(ods_code="RX1")
    Membership.objects.create(user=tom, role=Role.TRUST_COMMS, trust=rx1)
    theirs = notice_create(trust=rx1, user=tom, title="Nottingham", body="b", what_to_do="w")
    client.force_login(chris)
    assert client.get(reverse("notices:manage_trust", args=["RX1"])).status_code == 404
    # RWE in the address, RX1's notice id: still not found.
    assert client.get(reverse("notices:manage_notice", args=["RWE", theirs.pk])).status_code == 404
    assert client.post(reverse("notices:publish", args=["RWE", theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == NoticeStatus.DRAFT


def test_a_person_with_both_trust_roles_manages_notices(client, ada, draft) -> None:
    Membership.objects.create(user=ada, role=Role.TRUST_COMMS, trust=draft.trust)
    client.force_login(ada)
    assert client.get(reverse("notices:manage_notice", args=["RWE", draft.pk])).status_code == 200


@pytest.mark.parametrize("who", [None, "ada", "tom", "morgan", "nia", "pat", "chris"])
def test_public_pages_are_open_to_everyone_and_never_show_drafts(client, request, who, draft, published) -> None:
    if who:
        client.force_login(request.getfixturevalue(who))
    for url in (reverse("notices:list"), reverse("notices:trust", args=["RWE"]), published.get_absolute_url(),
                reverse("notices:feed"), reverse("notices:trust_feed", args=["RWE"])):
        response = client.get(url)
        assert response.status_code == 200, url
        assert b"Parking" in response.content, url
        assert b"Visiting" not in response.content and b"is open." not in response.content, url
