"""Pages that list history stay the same size however much history there is (issue 15 item 2): the
actions, upload, seasons and cumulative pages and a trust's campaigns are paginated; campaign
progress is one figure per campaign shared for 2 seconds."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from notices.models import Campaign, CampaignStatus, DeliveryStatus
from notices.selectors_delivery import campaign_progress_shared
from tests.factories import local, make_action
from tests.notices.delivery_support import make_campaign, make_template, row
from trusts.models import IndustrialAction

pytestmark = pytest.mark.django_db


def many_actions(count: int, *, start_year: int = 2000) -> list[IndustrialAction]:
    """One action a quarter (so, over the years, many seasons), oldest first."""
    actions = []
    for i in range(count):
        day = dt.date(start_year + i // 4, 1 + 3 * (i % 4), 10)
        actions.append(make_action(slug=f"action-{i:03d}", name=f"Action {i:03d}",
                                   windows=[(local(day.year, day.month, day.day, 7),
                                             local(day.year, day.month, day.day + 1, 7))]))
    return actions


def names_on(html: str, count: int) -> list[str]:
    return [f"Action {i:03d}" for i in range(count) if f"Action {i:03d}<" in html]


def test_the_actions_list_is_paginated_newest_first(client, ada) -> None:
    many_actions(30)
    client.force_login(ada)
    first = client.get(reverse("actions:list")).content.decode()
    assert names_on(first, 30) == [f"Action {i:03d}" for i in range(5, 30)]  # 25, newest first
    assert 'href="?page=2"' in first and "Page 2 of 2" in first
    second = client.get(reverse("actions:list"), {"page": 2}).content.decode()
    assert names_on(second, 30) == [f"Action {i:03d}" for i in range(5)]


def test_the_upload_page_lists_ten_actions_a_page(client, ada) -> None:
    many_actions(12)
    client.force_login(ada)
    first = client.get(reverse("returns:upload")).content.decode()
    assert len(names_on(first, 12)) == 10 and "Action 011" in first and "Page 2 of 2" in first
    second = client.get(reverse("returns:upload"), {"page": 2}).content.decode()
    assert names_on(second, 12) == ["Action 000", "Action 001"]


def test_seasons_and_cumulative_pages_are_paginated(client, nia) -> None:
    many_actions(30)  # 2000 to 2007: 16 seasons
    client.force_login(nia)
    seasons = client.get(reverse("reports:seasons"))
    assert len(seasons.context["seasons"]) == 4 and seasons.context["page"].paginator.num_pages > 1
    assert "Page 2 of" in seasons.content.decode()
    cumulative = client.get(reverse("reports:cumulative"))
    assert len(cumulative.context["rows"]) == 25 and "Page 2 of 2" in cumulative.content.decode()
    last = client.get(reverse("reports:cumulative"), {"page": 2})
    assert len(last.context["rows"]) == 5
    assert last.context["overall"] == cumulative.context["overall"]  # "All actions" on every page


def test_a_trusts_campaign_list_is_paginated_and_reads_stored_totals(client, rwe, chris) -> None:
    template = make_template(rwe)
    campaigns = [make_campaign(rwe, chris, [row(1, email="a@example.org")], template=template) for _ in range(22)]
    finished = campaigns[-1]  # the newest: on the first page
    Campaign.objects.filter(pk=finished.pk).update(
        status=CampaignStatus.SENT, started_at=dt.datetime.now(dt.UTC), finished_at=dt.datetime.now(dt.UTC),
        totals={DeliveryStatus.DELIVERED: 41, DeliveryStatus.PERMANENT_FAILURE: 2, "succeeded": 41, "failed": 2})
    client.force_login(chris)
    with CaptureQueriesContext(connection) as queries:
        first = client.get(reverse("campaigns:trust", args=["RWE"]))
    assert len(first.context["rows"]) == 20 and "Page 2 of 2" in first.content.decode()
    newest = first.context["rows"][0]
    assert newest["campaign"].pk == finished.pk and (newest["sent"], newest["failed"]) == (41, 2)
    grouped = [q["sql"] for q in queries.captured_queries if "GROUP BY" in q["sql"] and "delivery" in q["sql"]]
    # The finished campaign's counts are stored on it: nothing counts its deliveries.
    assert grouped and not any(re.search(rf"campaign_id\" = {finished.pk}\b", sql) for sql in grouped)
    second = client.get(reverse("campaigns:trust", args=["RWE"]), {"page": 2})
    assert len(second.context["rows"]) == 2


def test_campaign_progress_is_one_shared_figure_for_two_seconds(rwe, chris, django_assert_num_queries) -> None:
    from django.core.cache import cache

    campaign = make_campaign(rwe, chris, [row(1, email="a@example.org"), row(2, email="b@example.org")])
    first = campaign_progress_shared(campaign)
    with django_assert_num_queries(0):
        assert campaign_progress_shared(campaign.pk) == first
    cache.delete(f"campaign:progress:{campaign.pk}")  # as when the 2 seconds are up
    with django_assert_num_queries(1):
        assert campaign_progress_shared(campaign)["total"] == first["total"]
