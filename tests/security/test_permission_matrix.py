"""The access policy of every page and endpoint, as one table, checked against the URL configuration.

Every URL pattern (Django admin's own pages aside: they are the admin's business, but /admin/ itself is
in the table) is requested by every role, with concrete arguments naming objects of Leicester (RWE):
- anonymous;
- ada (trust administrator of RWE) and tom (trust administrator of RX1, Nottingham, same region);
- chris (communications officer of RWE) and cora (communications officer of RX1);
- morgan (regional manager, Midlands, where RWE and RX1 are) and sam (regional manager, London);
- nia (national manager), signed in with two-factor, as production requires.

A URL name in the configuration but not in POLICY fails (add the new page's row: that is the
point), and so does a row for a URL name that no longer exists. Objects of another organisation
are 404 (never 403): a page does not confirm that another trust's data exists.

The same URLs with Nottingham's (RX1) objects instead must give the mirror image (ada and tom, chris
and cora swapped; the managers see the same), so trust scoping is proven in both directions.

Statuses: LOGIN is a redirect to the sign-in page; 302 any other redirect; the API answers 401
without a token (API rows are requested with each role's bearer token, as API clients call it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from notices.models import Campaign, MessageTemplate, Notice, Subscription
from notices.services.delivery import campaign_create
from notices.services.notices import notice_create, notice_publish
from notices.services.opt_outs import opt_out_token
from notices.services.subscriber_emails import _confirmation_token
from notices.services.subscriptions import subscription_request
from notices.services.templates import template_create
from reports.models import Release
from reports.services.releases import release_publish
from tests.conftest import _user
from tests.factories import local, make_action
from tests.security.helpers import force_login_verified
from tests.security.html_checks import untrue_text
from trusts.models import AuditEvent, DailyReturn, IndustrialAction, ReturnQuery, ReturnReopening, Role, Trust, User
from trusts.services.api_tokens import api_token_create
from trusts.services.queries import query_raise
from trusts.services.reopenings import returns_reopen
from trusts.services.returns import return_submit

LOGIN = "login"  # a redirect to the sign-in page

ROLES = ("anonymous", "ada", "tom", "chris", "cora", "morgan", "sam", "nia")
# Who plays whom when the URL names Nottingham's (RX1) objects instead of Leicester's.
MIRROR = {"ada": "tom", "tom": "ada", "chris": "cora", "cora": "chris"}

# fmt: off
# The access policy: the status each role gets for a GET of each URL (arguments: Leicester's objects).
#                                 anonymous ada   tom   chris  cora  morgan sam   nia
POLICY: dict[str, tuple[int | str, ...]] = {
    # Public pages: anyone, signed in or not.
    "home":                          (200,   200,   200,   200,   200,   200,   200,   200),
    "accessibility":                 (200,   200,   200,   200,   200,   200,   200,   200),
    "privacy":                       (200,   200,   200,   200,   200,   200,   200,   200),
    "trusts:list":                   (200,   200,   200,   200,   200,   200,   200,   200),
    "trusts:region":                 (200,   200,   200,   200,   200,   200,   200,   200),
    "trusts:trust":                  (200,   200,   200,   200,   200,   200,   200,   200),
    "nhsuk_asset":                   (302,   302,   302,   302,   302,   302,   302,   302),  # to the static file
    # Signing in and out; password reset (the link is valid, so it goes on to the set-password form).
    "login":                         (200,   302,   302,   302,   302,   302,   302,   302),
    "logout":                        (405,   405,   405,   405,   405,   405,   405,   405),
    "password_reset":                (200,   200,   200,   200,   200,   200,   200,   200),
    "password_reset_done":           (200,   200,   200,   200,   200,   200,   200,   200),
    "password_reset_confirm":        (302,   302,   302,   302,   302,   302,   302,   302),
    "password_reset_complete":       (200,   200,   200,   200,   200,   200,   200,   200),
    # Your own account. Nobody has an app but nia (verified), so set-up sends only her away.
    "account:detail":                (LOGIN, 200,   200,   200,   200,   200,   200,   200),
    "account:two_factor_setup":      (LOGIN, 200,   200,   200,   200,   200,   200,   302),
    "account:two_factor_verify":     (LOGIN, 302,   302,   302,   302,   302,   302,   302),
    "account:two_factor_turn_off":   (LOGIN, 302,   302,   302,   302,   302,   302,   302),
    "account:tokens":                (LOGIN, 200,   200,   200,   200,   200,   200,   200),
    "account:token_revoke":          (LOGIN, 200,   404,   404,   404,   404,   404,   404),  # ada's token
    # The audit log: national managers only; 404 to everyone else, anonymous included.
    "audit:log":                     (404,   404,   404,   404,   404,   404,   404,   200),
    # Django admin: staff with a verified second factor only (django-otp admin site); the fixtures are
    # not staff, so the admin's own sign-in page (staff and superusers: test_admin_needs_staff_and_a_verified_code).
    "admin:index":                   (302,   302,   302,   302,   302,   302,   302,   302),
    # Industrial actions: anyone with a role reads; national managers declare; managers reopen, chase.
    "actions:list":                  (LOGIN, 200,   200,   200,   200,   200,   200,   200),
    "actions:detail":                (LOGIN, 200,   200,   200,   200,   200,   200,   200),
    "actions:create":                (LOGIN, 404,   404,   404,   404,   404,   404,   200),
    "actions:edit":                  (LOGIN, 404,   404,   404,   404,   404,   404,   200),
    "actions:reopen":                (LOGIN, 404,   404,   404,   404,   200,   200,   200),
    "actions:reopening_close":       (LOGIN, 405,   405,   405,   405,   405,   405,   405),
    "actions:missing":               (LOGIN, 404,   404,   404,   404,   200,   200,   200),
    "actions:missing_csv":           (LOGIN, 404,   404,   404,   404,   200,   200,   200),
    "actions:remind":                (LOGIN, 405,   405,   405,   405,   405,   405,   405),
    "actions:reminders":             (LOGIN, 404,   404,   404,   404,   200,   200,   200),
    # A trust's reminder log: its own staff and the managers of its region.
    "trusts:reminders":              (LOGIN, 200,   404,   200,   404,   200,   404,   200),
    # Daily returns: the trust's administrators enter them; managers of the trust read them.
    "returns:dashboard":             (LOGIN, 200,   200,   404,   404,   404,   404,   404),
    "returns:upload":                (LOGIN, 200,   200,   404,   404,   404,   404,   404),
    "returns:template":              (LOGIN, 200,   200,   404,   404,   404,   404,   404),
    "returns:detail":                (LOGIN, 200,   404,   404,   404,   200,   404,   200),
    "returns:edit":                  (LOGIN, 200,   404,   404,   404,   404,   404,   404),
    "returns:check":                 (LOGIN, 302,   404,   404,   404,   404,   404,   404),  # nothing to check
    "returns:submitted":             (LOGIN, 302,   404,   404,   404,   404,   404,   404),  # not just submitted
    # The loop on a return: managers raise and close queries, the trust's administrators answer and sign off.
    "returns:sign_off":              (LOGIN, 405,   405,   405,   405,   405,   405,   405),
    "returns:query_new":             (LOGIN, 404,   404,   404,   404,   200,   404,   200),
    "returns:query_answer":          (LOGIN, 200,   404,   404,   404,   404,   404,   404),
    "returns:query_close":           (LOGIN, 405,   405,   405,   405,   405,   405,   405),
    # Reports: managers, within their scope; a trust's own staff see their trust's page.
    "reports:dashboard":             (LOGIN, 404,   404,   404,   404,   200,   200,   200),
    "reports:seasons":               (LOGIN, 404,   404,   404,   404,   200,   200,   200),
    "reports:cumulative":            (LOGIN, 404,   404,   404,   404,   200,   200,   200),
    "reports:action":                (LOGIN, 404,   404,   404,   404,   200,   200,   200),
    "reports:missing":               (LOGIN, 404,   404,   404,   404,   200,   200,   200),
    "reports:download_csv":          (LOGIN, 404,   404,   404,   404,   200,   200,   200),
    "reports:download_xlsx":         (LOGIN, 404,   404,   404,   404,   200,   200,   200),
    "reports:download_coverage_csv": (LOGIN, 404,   404,   404,   404,   200,   200,   200),
    "reports:region":                (LOGIN, 404,   404,   404,   404,   200,   404,   200),  # Midlands
    "reports:icb":                   (LOGIN, 404,   404,   404,   404,   200,   404,   200),  # Leicester's ICB
    "reports:outliers":              (LOGIN, 404,   404,   404,   404,   200,   200,   200),
    "reports:queries":               (LOGIN, 404,   404,   404,   404,   200,   200,   200),
    "reports:trust":                 (LOGIN, 200,   404,   200,   404,   200,   404,   200),
    "reports:publish":               (LOGIN, 404,   404,   404,   404,   404,   404,   200),
    # Published releases and open data: public.
    "reports:releases":              (200,   200,   200,   200,   200,   200,   200,   200),
    "reports:release":               (200,   200,   200,   200,   200,   200,   200,   200),
    "reports:release_json":          (200,   200,   200,   200,   200,   200,   200,   200),
    "open_data:index":               (200,   200,   200,   200,   200,   200,   200,   200),
    "open_data:release_csv":         (200,   200,   200,   200,   200,   200,   200,   200),
    "open_data:release_coverage_csv": (200,  200,   200,   200,   200,   200,   200,   200),
    "open_data:release_xlsx":        (200,   200,   200,   200,   200,   200,   200,   200),
    # The strike calendar (iCalendar feeds): public.
    "calendar:all":                  (200,   200,   200,   200,   200,   200,   200,   200),
    "calendar:trust":                (200,   200,   200,   200,   200,   200,   200,   200),
    # Public notices, feeds and email subscriptions (the secret token in the link is the authority).
    "notices:list":                  (200,   200,   200,   200,   200,   200,   200,   200),
    "notices:feed":                  (200,   200,   200,   200,   200,   200,   200,   200),
    "notices:trust":                 (200,   200,   200,   200,   200,   200,   200,   200),
    "notices:trust_feed":            (200,   200,   200,   200,   200,   200,   200,   200),
    "notices:notice":                (200,   200,   200,   200,   200,   200,   200,   200),
    "notices:subscribe":             (302,   302,   302,   302,   302,   302,   302,   302),  # form on the trust page
    "notices:subscribe_sent":        (200,   200,   200,   200,   200,   200,   200,   200),
    "notices:subscription_confirm":  (200,   200,   200,   200,   200,   200,   200,   200),
    "notices:unsubscribe":           (200,   200,   200,   200,   200,   200,   200,   200),
    # Managing notices: the trust's communications staff only (chris has one trust: sent there).
    "notices:manage":                (LOGIN, 404,   404,   302,   302,   404,   404,   404),
    "notices:manage_trust":          (LOGIN, 404,   404,   200,   404,   404,   404,   404),
    "notices:create":                (LOGIN, 404,   404,   200,   404,   404,   404,   404),
    "notices:manage_notice":         (LOGIN, 404,   404,   200,   404,   404,   404,   404),
    "notices:edit":                  (LOGIN, 404,   404,   200,   404,   404,   404,   404),
    "notices:publish":               (LOGIN, 405,   405,   405,   405,   405,   405,   405),
    "notices:withdraw":              (LOGIN, 404,   404,   200,   404,   404,   404,   404),
    # Message templates and campaigns (patients' contact details): the trust's communications staff only,
    # not even national managers.
    "campaigns:index":               (LOGIN, 404,   404,   302,   302,   404,   404,   404),
    "campaigns:action_for_my_trust": (LOGIN, 404,   404,   302,   302,   404,   404,   404),
    "campaigns:trust":               (LOGIN, 404,   404,   200,   404,   404,   404,   404),
    "campaigns:action":              (LOGIN, 404,   404,   200,   404,   404,   404,   404),
    "campaigns:new":                 (LOGIN, 404,   404,   200,   404,   404,   404,   404),
    "campaigns:upload":              (LOGIN, 404,   404,   200,   404,   404,   404,   404),
    "campaigns:campaign":            (LOGIN, 404,   404,   200,   404,   404,   404,   404),
    "campaigns:progress":            (LOGIN, 404,   404,   200,   404,   404,   404,   404),
    "campaigns:outcomes":            (LOGIN, 404,   404,   200,   404,   404,   404,   404),
    "campaigns:cancel":              (LOGIN, 404,   404,   200,   404,   404,   404,   404),
    "campaigns:templates":           (LOGIN, 404,   404,   200,   404,   404,   404,   404),
    "campaigns:template_new":        (LOGIN, 404,   404,   200,   404,   404,   404,   404),
    "campaigns:template":            (LOGIN, 404,   404,   200,   404,   404,   404,   404),
    "campaigns:template_copy":       (LOGIN, 405,   405,   405,   405,   405,   405,   405),
    "campaigns:template_archive":    (LOGIN, 405,   405,   405,   405,   405,   405,   405),
    # GOV.UK Notify's delivery receipts: POST with the callback bearer token only.
    "campaigns:notify_callback":     (405,   405,   405,   405,   405,   405,   405,   405),
    # A patient's opt-out link (signed, no sign-in): the page asks; the one-click address sends a
    # browser to it (mail clients POST).
    "campaigns:opt_out":             (200,   200,   200,   200,   200,   200,   200,   200),
    "campaigns:opt_out_one_click":   (302,   302,   302,   302,   302,   302,   302,   302),
    # The API (bearer tokens; no token is 401). Published releases and notices, and the schema, are public.
    "api_schema":                    (200,   200,   200,   200,   200,   200,   200,   200),
    "api_docs":                      (200,   200,   200,   200,   200,   200,   200,   200),
    "api:actions":                   (401,   200,   200,   200,   200,   200,   200,   200),
    "api:action":                    (401,   200,   200,   200,   200,   200,   200,   200),
    "api:strike_days":               (401,   200,   200,   200,   200,   200,   200,   200),
    "api:returns":                   (401,   200,   200,   200,   200,   200,   200,   200),  # scoped lists
    "api:return":                    (401,   200,   404,   404,   404,   200,   404,   200),
    "api:return_sign_off":           (401,   405,   405,   405,   405,   405,   405,   405),
    "api:queries":                   (401,   200,   200,   200,   200,   200,   200,   200),  # scoped lists
    "api:query_answer":              (401,   405,   405,   405,   405,   405,   405,   405),
    "api:totals":                    (401,   200,   200,   200,   200,   200,   200,   200),
    "api:totals_action":             (401,   200,   200,   200,   200,   200,   200,   200),
    "api:releases":                  (200,   200,   200,   200,   200,   200,   200,   200),
    "api:release":                   (200,   200,   200,   200,   200,   200,   200,   200),
    "notices_api:notices":           (200,   200,   200,   200,   200,   200,   200,   200),
    "notices_api:notice":            (200,   200,   200,   200,   200,   200,   200,   200),
    "notices_api:campaigns":         (401,   200,   200,   200,   200,   200,   200,   200),  # scoped lists
    "notices_api:campaign":          (401,   404,   404,   200,   404,   404,   404,   404),
    "^api/":                         (404,   404,   404,   404,   404,   404,   404,   404),  # any other /api/ address
}

# Endpoints that only take POST: the status of a POST with no form data, per role. Wrong roles
# must get what they get for GET (404, or the sign-in page); nothing may change for them.
#                                 anonymous ada   tom   chris  cora  morgan sam   nia
POST_ONLY: dict[str, tuple[int | str, ...]] = {
    "logout":                        (302,   302,   302,   302,   302,   302,   302,   302),
    "actions:reopening_close":       (LOGIN, 404,   404,   404,   404,   302,   404,   302),
    "actions:remind":                (LOGIN, 404,   404,   404,   404,   302,   302,   302),  # empty: "choose"
    # ada submitted the figures, so her own sign-off is refused (back to the return with why).
    "returns:sign_off":              (LOGIN, 302,   404,   404,   404,   404,   404,   404),
    "returns:query_close":           (LOGIN, 404,   404,   404,   404,   302,   404,   302),
    "api:return_sign_off":           (401,   415,   404,   404,   404,   404,   404,   404),  # no JSON body
    "api:query_answer":              (401,   415,   404,   404,   404,   404,   404,   404),  # no JSON body
    "notices:publish":               (LOGIN, 404,   404,   302,   404,   404,   404,   404),
    "campaigns:template_copy":       (LOGIN, 404,   404,   302,   404,   404,   404,   404),
    "campaigns:template_archive":    (LOGIN, 404,   404,   302,   404,   404,   404,   404),
    "campaigns:notify_callback":     (401,   401,   401,   401,   401,   401,   401,   401),
}
# fmt: on


# --- The world: one of everything, built once for the module with the real services -----------

@dataclass
class World:
    users: dict[str, User]
    action: IndustrialAction
    trusts: dict[str, Trust]
    returns: dict[str, DailyReturn]
    drafts: dict[str, Notice]
    published: dict[str, Notice]
    campaigns: dict[str, Campaign]
    templates: dict[str, MessageTemplate]
    default_template: MessageTemplate
    reopenings: dict[str, ReturnReopening]
    queries: dict[str, ReturnQuery]
    subscriptions: dict[str, Subscription]
    release: Release
    tokens: dict[str, str] = field(default_factory=dict)  # role -> API token secret
    token_ids: dict[str, int] = field(default_factory=dict)  # role -> ApiToken pk
    sessions: dict[str, str] = field(default_factory=dict)  # role -> session key, signed in once


DAY = dt.date(2023, 4, 12)


# These figures come from a few trusts: publishing them needs a reason (the coverage gate).
PARTIAL = "Test figures from a few trusts"

def build_world() -> World:
    users = {
        "ada": _user("ada@rwe.example", Role.TRUST_ADMIN, trust="RWE"),
        "tom": _user("tom@rx1.example", Role.TRUST_ADMIN, trust="RX1"),
        "chris": _user("chris@rwe.example", Role.TRUST_COMMS, trust="RWE"),
        "cora": _user("cora@rx1.example", Role.TRUST_COMMS, trust="RX1"),
        "morgan": _user("morgan@midlands.example", Role.REGIONAL_MANAGER, region="Y60"),
        "sam": _user("sam@london.example", Role.REGIONAL_MANAGER, region="Y56"),
        "nia": _user("nia@england.example", Role.NATIONAL_MANAGER),
    }
    trusts = {code: Trust.objects.select_related("icb__region").get(ods_code=code) for code in ("RWE", "RX1")}
    # Leicester's April 2023 walkout; its hard close has long passed, so the returns are locked.
    action = make_action(affected=["RWE", "RX1"])
    admins = {"RWE": users["ada"], "RX1": users["tom"]}
    comms = {"RWE": users["chris"], "RX1": users["cora"]}
    returns = {
        code: return_submit(
            action=action, trust=trust, day=DAY, user=admins[code], now=local(2023, 4, 13, 9),
            figures={"staff_absent": 700, "staff_due": 2000, "elective_rescheduled": 40,
                     "outpatient_rescheduled": 500, "community_rescheduled": 10, "mental_health_rescheduled": 3})
        for code, trust in trusts.items()
    }
    reopenings = {code: returns_reopen(action=action, trust=trust, user=users["nia"], reason="Late correction")
                  for code, trust in trusts.items()}
    release = release_publish(action=action, user=users["nia"], allow_incomplete=True, reason=PARTIAL)
    queries = {code: query_raise(daily_return=returns[code], figure="outpatient_rescheduled", user=users["nia"],
                                 question="Outpatient 500 is 10 times last round: please confirm")
               for code in trusts}
    drafts, published, campaigns, templates, subscriptions = {}, {}, {}, {}, {}
    default_template = MessageTemplate.objects.filter(trust=None).order_by("pk").first()
    assert default_template is not None, "the shipped default templates are missing"
    for code, trust in trusts.items():
        author = comms[code]
        drafts[code] = notice_create(trust=trust, user=author, title=f"Draft notice {code}",
                                     body="Draft body", what_to_do="Attend unless contacted.", action=action)
        notice = notice_create(trust=trust, user=author, title=f"Strike notice {code}", body="We apologise.",
                               what_to_do="Attend unless contacted.", action=action)
        notice_publish(notice=notice, user=author)
        notice.refresh_from_db()
        published[code] = notice
        templates[code] = template_create(trust=trust, name=f"Apology {code}", channel="email",
                                          subject="Your appointment at ((trust_name))",
                                          body="Dear ((name)), your appointment is moved.",
                                          recipient_columns=["name"], user=author)
        campaigns[code] = campaign_create(
            trust=trust, template=templates[code], action=action, channel="email", user=author,
            rows=[{"line": 2, "email": f"patient@{code.lower()}.example", "personalisation": {"name": "Alex"}}])
        subscriptions[code] = subscription_request(trust=trust, email=f"reader@{code.lower()}.example")
    world = World(users=users, action=action, trusts=trusts, returns=returns, drafts=drafts, published=published,
                  campaigns=campaigns, templates=templates, default_template=default_template,
                  reopenings=reopenings, queries=queries, subscriptions=subscriptions, release=release)
    for role, user in users.items():
        created = api_token_create(user=user, name="Matrix")
        world.tokens[role] = created.secret
        world.token_ids[role] = created.token.pk
        client = Client()
        if role == "nia":
            force_login_verified(client, user)  # national managers need two-factor, as in production
        else:
            client.force_login(user)
        world.sessions[role] = client.cookies[settings.SESSION_COOKIE_NAME].value
    return world


# --- Concrete arguments for each URL name --------------------------------------------------------

@dataclass
class Target:
    kwargs: dict[str, Any] = field(default_factory=dict)
    query: str = ""
    path: str = ""  # for an unnamed pattern, which cannot be reversed


def _for(code: str) -> Callable[[World], dict[str, Callable[[], Target]]]:
    """Arguments naming `code`'s objects (RWE for POLICY; RX1 for the mirror)."""
    def build(w: World) -> dict[str, Callable[[], Target]]:
        slug = w.action.slug
        ret = {"ods_code": code, "slug": slug, "day": DAY.isoformat()}
        mine = {"ods_code": code}
        return {
            "nhsuk_asset": lambda: Target({"path": "images/nhsuk-icon-arrow-up-down.svg"}),
            "^api/": lambda: Target(path="/api/v2/actions/"),
            "trusts:region": lambda: Target({"code": w.trusts[code].icb.region.code}),
            "trusts:trust": lambda: Target(mine),
            "trusts:reminders": lambda: Target(mine),
            "actions:remind": lambda: Target({"slug": slug}),
            "actions:reminders": lambda: Target({"slug": slug}),
            "actions:detail": lambda: Target({"slug": slug}),
            "actions:edit": lambda: Target({"slug": slug}),
            "actions:reopen": lambda: Target({"slug": slug}),
            "actions:reopening_close": lambda: Target({"slug": slug, "pk": w.reopenings[code].pk}),
            "actions:missing": lambda: Target({"slug": slug}),
            "actions:missing_csv": lambda: Target({"slug": slug}),
            "returns:template": lambda: Target({"slug": slug, "fmt": "csv"}),
            "returns:detail": lambda: Target(ret),
            "returns:edit": lambda: Target(ret),
            "returns:check": lambda: Target(ret),
            "returns:submitted": lambda: Target(ret),
            "returns:sign_off": lambda: Target(ret),
            "returns:query_new": lambda: Target(ret),
            "returns:query_answer": lambda: Target({**ret, "pk": w.queries[code].pk}),
            "returns:query_close": lambda: Target({**ret, "pk": w.queries[code].pk}),
            "reports:icb": lambda: Target({"slug": slug, "code": w.trusts[code].icb.code}),
            "reports:outliers": lambda: Target({"slug": slug}),
            "reports:queries": lambda: Target({"slug": slug}),
            "api:return_sign_off": lambda: Target(ret),
            "api:query_answer": lambda: Target({"pk": w.queries[code].pk}),
            "reports:release": lambda: Target({"slug": slug, "number": w.release.number}),
            "reports:release_json": lambda: Target({"slug": slug, "number": w.release.number}),
            "reports:action": lambda: Target({"slug": slug}),
            "reports:missing": lambda: Target({"slug": slug}),
            "reports:publish": lambda: Target({"slug": slug}),
            "reports:download_csv": lambda: Target({"slug": slug}),
            "reports:download_xlsx": lambda: Target({"slug": slug}),
            "reports:download_coverage_csv": lambda: Target({"slug": slug}),
            "reports:region": lambda: Target({"slug": slug, "code": w.trusts[code].icb.region.code}),
            "reports:trust": lambda: Target({"slug": slug, "ods_code": code}),
            "notices:subscription_confirm": lambda: Target({"token": _confirmation_token(w.subscriptions[code])}),
            "notices:unsubscribe": lambda: Target({"token": w.subscriptions[code].unsubscribe_token}),
            "notices:manage_trust": lambda: Target(mine),
            "notices:create": lambda: Target(mine),
            "notices:manage_notice": lambda: Target({**mine, "pk": w.drafts[code].pk}),
            "notices:edit": lambda: Target({**mine, "pk": w.drafts[code].pk}),
            "notices:publish": lambda: Target({**mine, "pk": w.drafts[code].pk}),
            "notices:withdraw": lambda: Target({**mine, "pk": w.published[code].pk}),
            "notices:trust": lambda: Target(mine),
            "notices:trust_feed": lambda: Target(mine),
            "calendar:trust": lambda: Target(mine),
            "notices:subscribe": lambda: Target(mine),
            "notices:subscribe_sent": lambda: Target(mine),
            "notices:notice": lambda: Target({**mine, "slug": w.published[code].slug}),
            "campaigns:action_for_my_trust": lambda: Target({"slug": slug}),
            "campaigns:trust": lambda: Target(mine),
            "campaigns:action": lambda: Target({**mine, "slug": slug}),
            "campaigns:new": lambda: Target(mine),
            "campaigns:upload": lambda: Target(mine, f"template={w.templates[code].pk}&action={slug}"),
            "campaigns:campaign": lambda: Target({**mine, "pk": w.campaigns[code].pk}),
            "campaigns:progress": lambda: Target({**mine, "pk": w.campaigns[code].pk}),
            "campaigns:outcomes": lambda: Target({**mine, "pk": w.campaigns[code].pk}),
            "campaigns:cancel": lambda: Target({**mine, "pk": w.campaigns[code].pk}),
            "campaigns:opt_out": lambda: Target({
                "token": opt_out_token(w.campaigns[code].recipients.earliest("pk").pk)}),
            "campaigns:opt_out_one_click": lambda: Target({
                "token": opt_out_token(w.campaigns[code].recipients.earliest("pk").pk)}),
            "campaigns:templates": lambda: Target(mine),
            "campaigns:template_new": lambda: Target(mine),
            "campaigns:template": lambda: Target({**mine, "pk": w.templates[code].pk}),
            "campaigns:template_copy": lambda: Target({**mine, "pk": w.default_template.pk}),
            "campaigns:template_archive": lambda: Target({**mine, "pk": w.templates[code].pk}),
            "account:token_revoke": lambda: Target({"pk": w.token_ids["ada" if code == "RWE" else "tom"]}),
            "password_reset_confirm": lambda: Target({
                "uidb64": urlsafe_base64_encode(force_bytes(w.users["ada"].pk)),
                "token": default_token_generator.make_token(w.users["ada"])}),
            "api:action": lambda: Target({"slug": slug}),
            "api:strike_days": lambda: Target({"slug": slug}),
            "api:return": lambda: Target(ret),
            "api:totals_action": lambda: Target({"slug": slug}),
            "api:release": lambda: Target({"slug": slug, "number": w.release.number}),
            "notices_api:notice": lambda: Target({**mine, "slug": w.published[code].slug}),
            "notices_api:campaign": lambda: Target({"pk": w.campaigns[code].pk}),
            "open_data:release_csv": lambda: Target({"slug": slug, "number": w.release.number}),
            "open_data:release_coverage_csv": lambda: Target({"slug": slug, "number": w.release.number}),
            "open_data:release_xlsx": lambda: Target({"slug": slug, "number": w.release.number}),
        }
    return build


# URL names whose arguments name a trust's objects: these are also checked with RX1's (the mirror).
TRUST_SCOPED = frozenset({
    "trusts:trust", "returns:detail", "returns:edit", "returns:check", "returns:submitted", "reports:trust",
    "notices:manage_trust", "notices:create", "notices:manage_notice", "notices:edit", "notices:publish",
    "notices:withdraw", "notices:trust", "notices:notice", "campaigns:trust", "campaigns:action",
    "campaigns:new", "campaigns:upload", "campaigns:campaign", "campaigns:progress", "campaigns:outcomes",
    "campaigns:cancel", "campaigns:templates", "campaigns:template_new", "campaigns:template",
    "campaigns:template_copy", "campaigns:template_archive", "account:token_revoke", "api:return",
    "notices_api:campaign", "notices_api:notice", "actions:reopening_close", "trusts:reminders",
    "returns:sign_off", "returns:query_new", "returns:query_answer", "returns:query_close", "api:return_sign_off",
    "api:query_answer",
})


# --- The URL configuration -----------------------------------------------------------------------

def _walk(patterns: list[Any], prefix: str = "", namespace: str | None = None) -> Iterator[tuple[str, str]]:
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            if inner == "admin":
                continue  # Django admin's own pages; /admin/ itself is in POLICY as admin:index
            yield from _walk(pattern.url_patterns, route, inner)
        elif isinstance(pattern, URLPattern):
            if not pattern.name:
                # An unnamed pattern (a catch-all) is listed by its route.
                yield route, route
                continue
            yield (f"{namespace}:{pattern.name}" if namespace else pattern.name), route


def url_names() -> dict[str, str]:
    """Every named URL in the configuration (name -> route), static and admin internals aside."""
    return dict(_walk(get_resolver().url_patterns))


# --- Requests as each role ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker) -> Iterator[World]:
    """Built once for the module inside a transaction that is rolled back at the end; each test
    runs in a savepoint within it (pytest-django's db), so what one test's POST changes is undone."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            with override_settings(OTP_REQUIRED_FOR_NATIONAL_MANAGERS=True):
                yield build_world()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture(scope="module")
def role_clients(world: World) -> dict[str, Client]:
    """One client per role for the whole module: a client's first request loads the middleware,
    and WhiteNoise's scan of the static files costs more than all of a client's requests here."""
    return {role: Client() for role in ROLES}


@pytest.fixture
def clients(world: World, role_clients: dict[str, Client], db) -> dict[str, Client]:
    """Each role's client carrying the session its role signed in with when the world was built
    (a sign-out or session change in one test is rolled back with the test's savepoint)."""
    for role, client in role_clients.items():
        client.cookies.clear()
        if role in world.sessions:
            client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[role]
    return role_clients


def _url(name: str, target: Target) -> str:
    if name == "admin:index":
        return "/admin/"
    url = target.path or reverse(name, kwargs=target.kwargs)
    return f"{url}?{target.query}" if target.query else url


def _headers(name: str, role: str, world: World) -> dict[str, Any]:
    if (name.split(":")[0] in ("api", "notices_api") or name.startswith("^api")) and role != "anonymous":
        return {"HTTP_AUTHORIZATION": f"Bearer {world.tokens[role]}"}
    return {}


def _outcome(response: Any) -> int | str:
    if response.status_code == 302 and response["Location"].startswith(reverse("login")):
        return LOGIN
    return response.status_code


def observe(name: str, code: str, world: World, clients: dict[str, Client], method: str = "get"
            ) -> dict[str, int | str]:
    targets = _for(code)(world)
    target = targets[name]() if name in targets else Target()
    url = _url(name, target)
    return {role: _outcome(getattr(clients[role], method)(url, **_headers(name, role, world)))
            for role in ROLES}


def _expected(row: tuple[int | str, ...]) -> dict[str, int | str]:
    assert len(row) == len(ROLES), f"a policy row needs one status per role {ROLES}"
    return dict(zip(ROLES, row, strict=True))


def _mirrored(expected: dict[str, int | str]) -> dict[str, int | str]:
    return {role: expected[MIRROR.get(role, role)] for role in ROLES}


def _diff(expected: dict[str, int | str], got: dict[str, int | str]) -> str:
    return ", ".join(f"{role}: expected {expected[role]}, got {got[role]}" for role in ROLES
                     if expected[role] != got[role])


# --- The tests -------------------------------------------------------------------------------------

def test_every_url_is_in_the_policy_and_every_row_is_a_url() -> None:
    configured = set(url_names())
    listed = set(POLICY) - {"admin:index"}
    missing = sorted(configured - listed)
    stale = sorted(listed - configured)
    assert not missing, f"URL names with no row in POLICY (add each with its status per role): {missing}"
    assert not stale, f"POLICY rows for URL names that no longer exist: {stale}"
    assert set(POST_ONLY) <= set(POLICY), f"POST_ONLY rows not in POLICY: {sorted(set(POST_ONLY) - set(POLICY))}"


@pytest.mark.parametrize("name", sorted(POLICY))
def test_get_as_every_role(name: str, world: World, clients: dict[str, Client]) -> None:
    expected = _expected(POLICY[name])
    got = observe(name, "RWE", world, clients)
    assert got == expected, f"{name}: {_diff(expected, got)}"
    if name in TRUST_SCOPED:
        mirrored = _mirrored(expected)
        got = observe(name, "RX1", world, clients)
        assert got == mirrored, f"{name} with RX1's objects: {_diff(mirrored, got)}"


def _turned_away(name: str) -> list[str]:
    row = _expected(POST_ONLY.get(name) or POLICY[name])
    return [role for role in ROLES if row[role] in (404, LOGIN, 401)]


@pytest.mark.parametrize("name", sorted(name for name in POLICY if _turned_away(name)))
def test_post_with_no_data_does_nothing_for_roles_without_access(name: str, world: World,
                                                                 clients: dict[str, Client]) -> None:
    """Every role the policy turns away (404, or the sign-in page) is turned away from a POST the
    same way (or refused the method) and leaves no trace: nothing written, so no audit event."""
    expected = _expected(POST_ONLY.get(name) or POLICY[name])
    target = _for("RWE")(world).get(name, Target)()
    url = _url(name, target)
    events = AuditEvent.objects.count()
    for role in _turned_away(name):
        got = _outcome(clients[role].post(url, **_headers(name, role, world)))
        assert got in (expected[role], 405), f"POST {name} as {role}: expected {expected[role]}, got {got}"
    assert AuditEvent.objects.count() == events, f"POST {name} by a role without access changed something"


@pytest.mark.parametrize("name", sorted(POST_ONLY))
def test_post_only_endpoints_as_every_role(name: str, world: World, clients: dict[str, Client]) -> None:
    """Each role on its own (in a savepoint): the first that may POST changes the object for the others."""
    expected = _expected(POST_ONLY[name])
    url = _url(name, _for("RWE")(world).get(name, Target)())
    got = {}
    for role in ROLES:
        with transaction.atomic():
            got[role] = _outcome(clients[role].post(url, **_headers(name, role, world)))
            transaction.set_rollback(True)
    assert got == expected, f"POST {name}: {_diff(expected, got)}"


def test_admin_sends_people_who_are_not_staff_to_its_own_sign_in(world: World, clients: dict[str, Client]) -> None:
    for role in ROLES:
        response = clients[role].get("/admin/")
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/"), role


@pytest.mark.parametrize(("name", "key"), [("api:returns", "trust"), ("notices_api:campaigns", "trust")])
def test_api_lists_hold_only_the_roles_own_organisations(name: str, key: str, world: World,
                                                         clients: dict[str, Client]) -> None:
    """Lists answer 200 to every role with a token; what is in them is scoped like the detail pages."""
    expected = {
        "api:returns": {"ada": {"RWE"}, "tom": {"RX1"}, "chris": set(), "cora": set(), "morgan": {"RWE", "RX1"},
                        "sam": set(), "nia": {"RWE", "RX1"}},
        "notices_api:campaigns": {"ada": set(), "tom": set(), "chris": {"RWE"}, "cora": {"RX1"}, "morgan": set(),
                                  "sam": set(), "nia": set()},
    }[name]
    for role, codes in expected.items():
        body = clients[role].get(reverse(name), **_headers(name, role, world)).json()
        found = {item[key] if isinstance(item[key], str) else item[key]["ods_code"] for item in body["results"]}
        assert found == codes, f"{name} as {role}: {sorted(found)}"


@pytest.mark.parametrize("name", sorted(POLICY))
def test_every_page_tells_the_truth_as_every_role_that_may_read_it(name: str, world: World,
                                                                   clients: dict[str, Client]) -> None:
    """Each HTML page, as each role the policy lets read it, with Leicester's objects (and Nottingham's for
    trust-scoped pages): no template syntax
    ({# a multi-line comment #} printed verbatim), no Python None as a value, and no "every expected
    return has been received" above a table that counts missing returns."""
    problems = []
    for code in ("RWE", "RX1") if name in TRUST_SCOPED else ("RWE",):
        row = _expected(POLICY[name]) if code == "RWE" else _mirrored(_expected(POLICY[name]))
        url = _url(name, _for(code)(world).get(name, Target)())
        for role in ROLES:
            if row[role] != 200:
                continue
            response = clients[role].get(url, **_headers(name, role, world))
            if not response["Content-Type"].startswith("text/html"):
                continue
            problems += [f"{role} at {url}: {problem}" for problem in untrue_text(response.content.decode())]
    assert not problems, f"{name}: " + "; ".join(problems)


@pytest.mark.django_db
@pytest.mark.parametrize("flags", [{"is_staff": True}, {"is_staff": True, "is_superuser": True}])
def test_admin_needs_staff_and_a_verified_code(flags: dict[str, Any], world: World) -> None:
    """Staff or superuser with only a password: the admin's sign-in (which asks for the code);
    the same account with a verified code: the admin."""
    from tests.security.helpers import force_login_verified
    from trusts.models import User

    staff = User.objects.create_user(email=f"staff-{len(flags)}@admin.example", **flags)
    password_only = Client()
    password_only.force_login(staff)
    for path in ("/admin/", "/admin/trusts/membership/", "/admin/trusts/apitoken/"):
        response = password_only.get(path)
        # The admin's code form, or (with the national-manager setting on) our set-up page first.
        assert response.status_code == 302, path
        assert response["Location"].startswith(("/admin/login/", "/account/two-factor/set-up/")), path
    verified = Client()
    force_login_verified(verified, staff)
    assert verified.get("/admin/").status_code == 200
