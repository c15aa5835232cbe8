"""REST API views (docs/api.md). Thin, like the pages: scope to the caller's organisations first
(404 for anything outside them), validate the request's shape, call the same service or selector as
the web, and turn the service's refusals into the one error shape (trusts.api.errors)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from django.http import Http404, HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from trusts import clock
from trusts.api import examples as ex
from trusts.api.authentication import api_user
from trusts.api.errors import error_json
from trusts.api.serializers import (
    ActionDetailSerializer,
    ActionSerializer,
    ReturnCreateSerializer,
    ReturnDetailSerializer,
    ReturnFilterSerializer,
    ReturnSerializer,
    ReturnWriteSerializer,
    StrikeDaySerializer,
)
from trusts.figures import FIGURE_FIELDS
from trusts.models import DailyReturn, IndustrialAction, ReturnRevision, ReturnSource, StrikeDay, Trust, User
from trusts.scoping import get_scoped_trust_or_404, trusts_returns_editable, trusts_returns_readable
from trusts.services.returns import (
    lock_reason_for,
    return_save_draft,
    return_submit,
)

TRUST_PARAM = OpenApiParameter("ods_code", OpenApiTypes.STR, OpenApiParameter.PATH,
                               description="Trust ODS code, e.g. RWE")
SLUG_PARAM = OpenApiParameter("slug", OpenApiTypes.STR, OpenApiParameter.PATH,
                              description="Industrial action slug, e.g. junior-doctors-2023-04")
DATE_PARAM = OpenApiParameter("day", OpenApiTypes.DATE, OpenApiParameter.PATH, description="Strike day, YYYY-MM-DD")


def _return_queryset() -> QuerySet[DailyReturn]:
    return DailyReturn.objects.select_related("trust", "action", "strike_day", "submitted_by")


def _parse_day(day: str) -> dt.date:
    try:
        return dt.date.fromisoformat(day)
    except ValueError:
        raise Http404("Not a date.") from None


# --- actions ---------------------------------------------------------------------------------------

def _actions() -> QuerySet[IndustrialAction]:
    return IndustrialAction.objects.prefetch_related(
        Prefetch("affected_trusts", queryset=Trust.objects.only("pk", "ods_code"))).order_by("-first_day", "name")


@extend_schema(tags=["Actions"])
class ActionListView(generics.ListAPIView[IndustrialAction]):
    serializer_class = ActionSerializer

    def get_queryset(self) -> QuerySet[IndustrialAction]:
        return _actions()

    @extend_schema(summary="List industrial actions", description="Every declared industrial action, newest first.",
                   responses={200: ActionSerializer(many=True), **ex.errors(400, 401, 404, 429)},
                   examples=[OpenApiExample("Actions", value={"count": 1, "pages": 1, "next": None, "previous": None,
                                                              "results": [ex.ACTION]}, response_only=True)])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


@extend_schema(tags=["Actions"], parameters=[SLUG_PARAM])
class ActionDetailView(generics.RetrieveAPIView[IndustrialAction]):
    serializer_class = ActionDetailSerializer
    lookup_field = "slug"

    def get_queryset(self) -> QuerySet[IndustrialAction]:
        return _actions().prefetch_related("windows", "strike_days")

    @extend_schema(summary="An industrial action", description="The action with its walkout windows and its "
                   "strike days (each with its return deadline).",
                   responses={200: ActionDetailSerializer, **ex.errors(401, 404, 429)},
                   examples=[OpenApiExample("Action", value=ex.ACTION_DETAIL, response_only=True)])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


@extend_schema(tags=["Actions"], parameters=[SLUG_PARAM])
class StrikeDayListView(generics.ListAPIView[StrikeDay]):
    serializer_class = StrikeDaySerializer
    pagination_class = None

    def get_queryset(self) -> QuerySet[StrikeDay]:
        action = get_object_or_404(IndustrialAction, slug=self.kwargs["slug"])
        return StrikeDay.objects.filter(action=action).order_by("date")

    @extend_schema(summary="Strike days of an action", description="Derived from the walkout windows: 24-hour "
                   "windows from the walkout's start, each with the deadline of its return.",
                   responses={200: StrikeDaySerializer(many=True), **ex.errors(401, 404, 429)},
                   examples=[OpenApiExample("Strike days", value=ex.ACTION_DETAIL["strike_days"],
                                            response_only=True)])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


# --- returns ---------------------------------------------------------------------------------------

def save_return(
    *, request: Request, trust: Trust, action: IndustrialAction, day: dt.date, data: dict[str, Any],
    expected_version: int, strike_day: StrikeDay | None = None,
) -> DailyReturn:
    """The web's own services; their refusals (ReturnError) are answered by the exception handler
    (trusts/api/errors.py) with each one's status and code. Nothing is saved when they refuse."""
    figures = {name: data.get(name) for name in FIGURE_FIELDS}
    if data["draft"]:
        return return_save_draft(action=action, trust=trust, day=day, figures=figures, user=api_user(request),
                                 source=ReturnSource.API, expected_version=expected_version)
    return return_submit(action=action, trust=trust, day=day, figures=figures, user=api_user(request),
                         source=ReturnSource.API, reason=data["reason"], warning_comment=data["warning_comment"],
                         nil=data["nil"], expected_version=expected_version, request=request._request,
                         strike_day=strike_day)


LIST_PARAMS = [
    OpenApiParameter("action", OpenApiTypes.STR, description="Only this action (slug)."),
    OpenApiParameter("trust", OpenApiTypes.STR, description="Only this trust (ODS code; 404 outside your trusts)."),
    OpenApiParameter("date", OpenApiTypes.DATE, description="Only this strike day."),
    OpenApiParameter("status", OpenApiTypes.STR, enum=["draft", "submitted"]),
]


@extend_schema(tags=["Returns"])
class ReturnListView(generics.ListCreateAPIView[DailyReturn]):
    serializer_class = ReturnSerializer

    def get_queryset(self) -> QuerySet[DailyReturn]:
        filters = ReturnFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        wanted = filters.validated_data
        trusts = trusts_returns_readable(api_user(self.request))
        if "trust" in wanted:
            trusts = Trust.objects.filter(pk=get_scoped_trust_or_404(trusts, wanted["trust"]).pk)
        queryset = _return_queryset().filter(trust__in=trusts.values("pk"))
        if "action" in wanted:
            queryset = queryset.filter(action__slug=wanted["action"])
        if "date" in wanted:
            queryset = queryset.filter(date=wanted["date"])
        if "status" in wanted:
            queryset = queryset.filter(status=wanted["status"])
        return queryset.order_by("-date", "trust__ods_code", "action__slug")

    @extend_schema(
        summary="List returns",
        description="Returns of your trusts (trust administrators) and of the trusts you manage (regional and "
                    "national managers, read-only), newest strike day first. Drafts included; filter with status.",
        parameters=LIST_PARAMS,
        responses={200: ReturnSerializer(many=True), **ex.errors(400, 401, 404, 429)},
        examples=[OpenApiExample("Returns", value={"count": 1, "pages": 1, "next": None, "previous": None,
                                                   "results": [ex.RETURN]}, response_only=True)])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Submit a new return",
        description="Submit (or, with draft=true, save) the return of one of your trusts for a strike day, with "
                    "exactly the web form's rules: hard errors give 422 `invalid` with a message per field; figures "
                    "that look unusual give 422 `warnings` until you send a `warning_comment`; a locked return "
                    "gives 423 with `lock_reason`; a return that already exists gives 409 (change it with PUT).",
        request=ReturnCreateSerializer,
        responses={201: ReturnDetailSerializer, **ex.errors(400, 401, 404, 409, 422, 423, 429)},
        examples=[OpenApiExample("New return", value=ex.CREATE_IN, request_only=True),
                  OpenApiExample("Nil return", value={"trust": "RWE", "action": "junior-doctors-2023-04",
                                                      "date": "2023-04-12", "nil": True, "staff_due": 1250},
                                 request_only=True),
                  OpenApiExample("Submitted", value={**ex.RETURN_DETAIL, "version": 1, "revisions": []},
                                 response_only=True, status_codes=["201"])])
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        incoming = ReturnCreateSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        trust = get_scoped_trust_or_404(trusts_returns_editable(api_user(request)), data["trust"])
        action = get_object_or_404(IndustrialAction, slug=data["action"])
        saved = save_return(request=request, trust=trust, action=action, day=data["date"], data=data,
                            expected_version=0)
        return Response(_detail(saved, editable=True), status=status.HTTP_201_CREATED)


def _revisions() -> Prefetch[Any, Any, Any]:
    return Prefetch("revisions", queryset=ReturnRevision.objects.select_related("changed_by").order_by("-version"))


def _detail(daily_return: DailyReturn, *, editable: bool) -> dict[str, Any]:
    fresh = _return_queryset().prefetch_related(_revisions()).get(pk=daily_return.pk)
    return _detail_of(fresh, editable=editable)


def _saved_detail(saved: DailyReturn, *, trust: Trust, action: IndustrialAction, strike_day: StrikeDay,
                  user: User) -> dict[str, Any]:
    """The detail of a return this request has just written: the service returned the row as
    saved, and the view already holds its trust, action and strike day, so only the revisions are
    read (one query, not a four-table join and a re-read of the row)."""
    saved.trust, saved.action, saved.strike_day = trust, action, strike_day
    if saved.submitted_by_id == user.pk:
        saved.submitted_by = user
    if saved.version == 1:
        # The first write of a return (version 1) has no revisions yet: nothing to read.
        saved._prefetched_objects_cache = {"revisions": ReturnRevision.objects.none()}  # type: ignore[attr-defined]
    else:
        prefetch_related_objects([saved], _revisions())
    return _detail_of(saved, editable=True)


def _detail_of(fresh: DailyReturn, *, editable: bool) -> dict[str, Any]:
    lock = None
    if editable:
        lock = lock_reason_for(action=fresh.action, trust=fresh.trust, strike_day=fresh.strike_day, now=clock.now())
    return ReturnDetailSerializer(fresh, context={"editable": editable and lock is None, "lock_reason": lock}).data


@extend_schema(tags=["Returns"], parameters=[TRUST_PARAM, SLUG_PARAM, DATE_PARAM])
class ReturnDetailView(APIView):
    def _scoped(self, request: Request, ods_code: str, slug: str, day: str, *, edit: bool) -> tuple[Any, ...]:
        scope = trusts_returns_editable(api_user(request)) if edit else trusts_returns_readable(api_user(request))
        trust = get_scoped_trust_or_404(scope, ods_code)
        # The strike day with its action: one query for both (404 if either does not exist).
        strike_day = get_object_or_404(StrikeDay.objects.select_related("action"), action__slug=slug,
                                       date=_parse_day(day))
        return trust, strike_day.action, strike_day

    @extend_schema(
        summary="A return, with its history",
        description="The return of a trust for a strike day, with every revision (who, when, old and new values, "
                    "reason). For its trust's administrators, `lock_reason` says why it cannot be changed now.",
        responses={200: ReturnDetailSerializer, **ex.errors(401, 404, 429)},
        examples=[OpenApiExample("Revised return", value=ex.RETURN_DETAIL, response_only=True)])
    def get(self, request: Request, ods_code: str, slug: str, day: str) -> Response:
        trust, action, strike_day = self._scoped(request, ods_code, slug, day, edit=False)
        saved = DailyReturn.objects.filter(action=action, trust=trust, date=strike_day.date).first()
        if saved is None:
            raise Http404("No return yet.")
        editable = trusts_returns_editable(api_user(request)).filter(pk=trust.pk).exists()
        return Response(_detail(saved, editable=editable))

    @extend_schema(
        summary="Submit or change a return",
        description="Creates the return if there is none (version 0) or changes it. Send the `version` you read: "
                    "if someone changed the return since, you get 409 with the current return and what changed. "
                    "A change to a submitted return is a revision; after the deadline it needs a `reason` (422 "
                    "`reason_required`). Sending the figures already stored changes nothing.",
        request=ReturnWriteSerializer,
        responses={200: ReturnDetailSerializer, 201: ReturnDetailSerializer,
                   **ex.errors(400, 401, 404, 409, 422, 423, 429)},
        examples=[OpenApiExample("Revision", value=ex.UPDATE_IN, request_only=True),
                  OpenApiExample("Unusual figures, with a comment",
                                 value={"version": 1, **ex.FIGURES_IN, "outpatient_rescheduled": 5200,
                                        "warning_comment": "Outpatient clinics were cancelled across two sites"},
                                 request_only=True),
                  OpenApiExample("Revised", value=ex.RETURN_DETAIL, response_only=True, status_codes=["200"])])
    def put(self, request: Request, ods_code: str, slug: str, day: str) -> Response:
        trust, action, strike_day = self._scoped(request, ods_code, slug, day, edit=True)
        incoming = ReturnWriteSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        saved = save_return(request=request, trust=trust, action=action, day=strike_day.date, data=data,
                            expected_version=data["version"], strike_day=strike_day)
        created = data["version"] == 0
        return Response(_saved_detail(saved, trust=trust, action=action, strike_day=strike_day, user=api_user(request)),
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


@csrf_exempt  # API clients send no CSRF token: any method must get the JSON 404, not the CSRF page
def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Anything under /api/ that matches no endpoint: the API's own 404, in its one error shape
    (Django's HTML page would be wrong for a JSON client)."""
    return error_json(status=404, code="not_found", message="There is no such API endpoint.")
