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
from notices.selectors.delivery import campaign_progress_shared
from reports.selectors.reports import (
    all_actions,
    cumulative,
    per_action_totals,
    season_comparison,
    season_sentence,
    seasons,
)
from tests.factories import local, make_action, make_return
from tests.notices.delivery_support import make_campaign, make_template, row
from trusts.figures import RESCHEDULED_METRICS
from trusts.models import IndustrialAction, Trust

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


# --- seasons and cumulative: the page's actions only, with the figures of the full computation ---------------


def history_with_returns(count: int) -> list[IndustrialAction]:
    """many_actions() with returns from trusts in two regions (RWE in the Midlands, RJ1 in London), an
    action now and then without any, and a second action on the first day of the 25th (a tie that
    the cumulative page's first page boundary falls on)."""
    actions = many_actions(count)
    day = actions[24].first_day if count > 24 else actions[-1].first_day
    assert day is not None
    actions.append(make_action(slug="same-day", name="Same day", windows=[
        (local(day.year, day.month, day.day, 7), local(day.year, day.month, day.day + 1, 7))]))
    for i, action in enumerate(actions):
        if i % 5 == 3:
            continue
        assert action.first_day is not None
        make_return(action, "RWE", action.first_day, elective_rescheduled=i + 1, outpatient_rescheduled=10 * i,
                    community_rescheduled=i % 3, staff_absent=i, staff_due=100 + i)
        make_return(action, "RJ1", action.first_day, outpatient_rescheduled=2 * i + 1,
                    mental_health_rescheduled=i % 4, elective_planned=50 + i)
    return actions


def test_each_seasons_page_has_the_figures_and_sentences_of_the_full_computation(client, nia) -> None:
    history_with_returns(30)
    recorded, totals = all_actions(), per_action_totals()
    full = seasons(recorded, totals)
    client.force_login(nia)
    pages = client.get(reverse("reports:seasons")).context["page"].paginator.num_pages
    assert pages == 4
    shown = []
    for number in range(1, pages + 1):
        for season in client.get(reverse("reports:seasons"), {"page": number}).context["seasons"]:
            shown.append((season.name, season.first_day, season.last_day,
                          [(a.pk, f) for a, f in season.actions], season.totals, season.sentences))
    assert shown == [(s.name, s.first_day, s.last_day, [(a.pk, f) for a, f in s.actions], s.totals,
                      [season_sentence(a, season_comparison(a, recorded, totals)) for a, _ in s.actions])
                     for s in full]
    assert any(f.returns for s in full for _, f in s.actions)


@pytest.mark.parametrize("manager", ["nia", "morgan"])
def test_each_cumulative_page_has_the_running_totals_of_the_full_computation(client, manager, request) -> None:
    history_with_returns(30)
    recorded = all_actions()
    full = cumulative(recorded, per_action_totals())
    client.force_login(request.getfixturevalue(manager))
    first, second = (client.get(reverse("reports:cumulative"), {"page": n}).context for n in (1, 2))
    rows = [*first["rows"], *second["rows"]]
    assert [(r.action.pk, r.figures, r.cumulative) for r in rows] == [
        (r.action.pk, r.figures, r.cumulative) for r in full]
    assert rows[25].action.slug == "same-day"  # the page starts on a tie with the one before it
    # The sentence above the table counts every action, not the page's 25.
    assert "across 31 industrial actions." in client.get(reverse("reports:cumulative")).content.decode()
    assert first["overall"] == second["overall"] == full[-1].cumulative
    if manager == "morgan":
        midlands = Trust.objects.filter(icb__region__code="Y60")
        scoped = cumulative(recorded, per_action_totals(midlands))[-1].cumulative
        # The line shows the rescheduled figures (acute, and all four).
        assert first["scoped_overall"].metrics(RESCHEDULED_METRICS) == second["scoped_overall"].metrics(
            RESCHEDULED_METRICS) == scoped.metrics(RESCHEDULED_METRICS)
        assert scoped.returns and scoped != full[-1].cumulative
    else:
        assert first["scoped_overall"] is None


@pytest.mark.parametrize("manager", ["nia", "morgan"])
def test_seasons_and_cumulative_pages_cost_the_same_queries_with_four_times_the_history(
        client, manager, request) -> None:
    client.force_login(request.getfixturevalue(manager))

    def queries(page: str) -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse(page), {"page": 2}).status_code == 200
        return [q["sql"] for q in captured.captured_queries]

    history_with_returns(30)
    small = {page: queries(page) for page in ("reports:seasons", "reports:cumulative")}
    for action in IndustrialAction.objects.all():
        action.slug = f"earlier-{action.slug}"  # history_with_returns() below makes the same slugs again
        action.save(update_fields=["slug"])
    history_with_returns(120)
    assert IndustrialAction.objects.count() == 31 + 121
    for page, before in small.items():
        after = queries(page)
        assert len(after) == len(before), page


def test_campaign_pages_read_no_count_over_a_campaigns_deliveries_once_its_figure_is_shared(
        client, rwe, chris, monkeypatch) -> None:
    """Profiled at 1M deliveries (BENCHMARKS.md): the only read that grows with a campaign is the
    shared figure's grouped count, made at most once per 2 seconds; each page's own queries are
    the same, and none counts or groups deliveries, with 3 deliveries or with 300."""
    # The figure is shared for 2 seconds; long enough here that a slow machine cannot let it lapse.
    monkeypatch.setattr("notices.selectors.delivery.PROGRESS_CACHE_SECONDS", 300)
    template = make_template(rwe)

    def campaign_with(count: int) -> Campaign:
        campaign = make_campaign(rwe, chris, [row(i + 2, email=f"p{i}@example.org") for i in range(count)],
                                 template=template)
        Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.SENDING,
                                                       started_at=dt.datetime.now(dt.UTC))
        failed = campaign.deliveries.order_by("pk").values_list("pk", flat=True)[:count // 3]
        campaign.deliveries.filter(pk__in=list(failed)).update(status=DeliveryStatus.PERMANENT_FAILURE)
        return campaign

    client.force_login(chris)

    def reads(campaign: Campaign) -> dict[str, list[str]]:
        pages = {"progress": reverse("campaigns:progress", args=["RWE", campaign.pk]),
                 "campaign": reverse("campaigns:campaign", args=["RWE", campaign.pk]),
                 "list": reverse("campaigns:trust", args=["RWE"])}
        for sending in Campaign.objects.filter(trust=rwe):  # read once: the next readers share it
            campaign_progress_shared(sending)
        found = {}
        for name, url in pages.items():
            with CaptureQueriesContext(connection) as captured:
                assert client.get(url).status_code == 200
            found[name] = [q["sql"] for q in captured.captured_queries]
        return found

    small = reads(campaign_with(3))
    large = reads(campaign_with(300))
    for name in small:
        assert len(small[name]) == len(large[name]), name
        on_deliveries = [sql for sql in large[name] if 'FROM "notices_delivery"' in sql]
        assert not any("COUNT(" in sql or "GROUP BY" in sql for sql in on_deliveries), name
        assert all("LIMIT" in sql for sql in on_deliveries), name  # the failures table: the first 100 only
