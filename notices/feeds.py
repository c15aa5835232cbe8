"""Atom feeds of published notices: all trusts, and one trust."""

from __future__ import annotations

import datetime as dt

from django.contrib.syndication.views import Feed
from django.db.models import QuerySet
from django.http import HttpRequest
from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape, linebreaks

from notices.models import Notice, NoticeStatus
from notices.selectors.notices import feed_notices
from trusts.models import Trust
from trusts.scoping import get_scoped_trust_or_404

FEED_LENGTH = 50


class AllNoticesFeed(Feed[Notice, object]):
    feed_type = Atom1Feed
    title = "Notices from NHS trusts in England about industrial action"
    subtitle = "What NHS trusts tell their patients about industrial action, newest first."

    def link(self) -> str:
        return reverse("notices:list")

    def feed_url(self) -> str:
        return reverse("notices:feed")

    def items(self) -> QuerySet[Notice]:
        return feed_notices()[:FEED_LENGTH]

    def item_title(self, notice: Notice) -> str:
        version = notice.current_version
        assert version is not None, "a feed lists published and withdrawn notices only"
        if notice.status == NoticeStatus.WITHDRAWN:
            return f"Withdrawn: {version.title}"
        return version.title

    def item_description(self, notice: Notice) -> str:
        """HTML for the entry's summary (Atom type="html"): the author's text escaped, paragraphs kept.
        A withdrawn notice's entry says so and why, not the withdrawn text (as its page does)."""
        if notice.status == NoticeStatus.WITHDRAWN:
            when = date_filter(notice.withdrawn_at, "j F Y")
            return (f"<p>This notice was withdrawn on {escape(when)}.</p>"
                    f"{linebreaks(escape(notice.withdrawn_reason))}")
        version = notice.current_version
        assert version is not None, "a feed lists published and withdrawn notices only"
        parts = [linebreaks(escape(version.body)), "<h2>What you should do</h2>",
                 linebreaks(escape(version.what_to_do))]
        if notice.updated_at_public:
            when = date_filter(notice.updated_at_public, "j F Y")
            parts.append(f"<p>Last updated {escape(when)}: {escape(notice.change_note)}</p>")
        return "".join(parts)

    def item_link(self, notice: Notice) -> str:
        return notice.get_absolute_url()

    def item_pubdate(self, notice: Notice) -> dt.datetime | None:
        return notice.published_at

    def item_updateddate(self, notice: Notice) -> dt.datetime | None:
        if notice.status == NoticeStatus.WITHDRAWN and notice.withdrawn_at:
            return notice.withdrawn_at
        return notice.updated_at_public or notice.published_at

    def item_author_name(self, notice: Notice) -> str:
        return notice.trust.name


class TrustNoticesFeed(AllNoticesFeed):
    def get_object(self, request: HttpRequest, ods_code: str) -> Trust:
        return get_scoped_trust_or_404(Trust.objects.all(), ods_code)

    def title(self, trust: Trust) -> str:  # type: ignore[override]
        return f"Notices from {trust.name}"

    def subtitle(self, trust: Trust) -> str:  # type: ignore[override]
        return f"What {trust.name} tells its patients about industrial action, newest first."

    def link(self, trust: Trust) -> str:  # type: ignore[override]
        return reverse("notices:trust", args=[trust.ods_code])

    def feed_url(self, trust: Trust) -> str:  # type: ignore[override]
        return reverse("notices:trust_feed", args=[trust.ods_code])

    def items(self, trust: Trust) -> QuerySet[Notice]:  # type: ignore[override]
        return feed_notices().filter(trust=trust)[:FEED_LENGTH]
