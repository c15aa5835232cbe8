"""Fuzzing the API against its own OpenAPI schema (schemathesis), in-process through Django's WSGI
application: no server error, and every response (status, content type, headers, body) as the
schema says. Bounded: a few examples per operation, for a national manager's token and a trust
administrator's, so the run takes well under two minutes.

The schema is built by the same generator that serves /api/schema/ (a test below checks that the
live endpoint serves exactly it); it is loaded at collection time because schemathesis's lazy
fixture loader does not work with pytest 9."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from reports.services.releases import release_publish
from strikeops.wsgi import application
from tests.api.conftest import token_for
from tests.conftest import _user
from tests.factories import make_action, make_return
from trusts.api.docs import api_schema
from trusts.models import Role

MAX_EXAMPLES = 12

schema = schemathesis.openapi.from_dict(json.loads(json.dumps(api_schema(), default=str)))
schema.app = application


# These figures come from a few trusts: publishing them needs a reason (the coverage gate).
PARTIAL = "Test figures from a few trusts"

@pytest.fixture
def wsgi_in_test_transaction() -> Iterator[None]:
    """Django's test client keeps the test's transaction open across requests by not closing the
    connection when a request ends; calling the WSGI application directly needs the same."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(params=["national_manager", "trust_admin"])
def bearer(request, db, wsgi_in_test_transaction) -> dict[str, str]:
    """Something to find: an action, a return of Leicester's and a published release."""
    action = make_action(affected=["RWE"])
    make_return(action, "RWE", dt.date(2023, 4, 11), staff_absent=700, staff_due=1200)
    nia = _user("nia.fuzz@england.example", Role.NATIONAL_MANAGER)
    release_publish(action=action, user=nia, allow_incomplete=True, reason=PARTIAL)
    user = nia if request.param == "national_manager" else _user("ada.fuzz@rwe.example", Role.TRUST_ADMIN,
                                                                  trust="RWE")
    return {"Authorization": f"Bearer {token_for(user)}"}


@schema.parametrize()
# derandomize: the same examples every run, so CI is not at the mercy of a random draw. Unseeded, a
# negative case now and then "removes" the Authorization header, which call_and_validate then puts
# back (every call needs the fixture's token), and the 200 that follows reads as negative data
# accepted: a false alarm seen once in about ten runs.
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much])
def test_api_conforms_to_its_schema(case: schemathesis.Case, bearer: dict[str, str]) -> None:
    # Every check but "a schema-valid request is accepted": a well-formed ODS code, slug or id that
    # names nothing (or nothing of the caller's) is rightly 404, and random ones always do.
    case.call_and_validate(headers=bearer, excluded_checks=[positive_data_acceptance])


@pytest.mark.django_db
def test_the_fuzzed_schema_is_the_one_served(client) -> None:
    served = client.get("/api/schema/", {"format": "json"})
    assert served.status_code == 200
    assert served.json() == json.loads(json.dumps(api_schema(), default=str))
