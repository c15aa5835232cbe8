"""Reports API views (docs/api.md): the totals of actions, scoped to the caller, and the public releases.
Thin, like the pages: scope first (404 outside it), then the same selectors the report pages read."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from reports.api.serializers import (
    ReleaseDetailSerializer,
    ReleaseSerializer,
    TotalsDetailSerializer,
    TotalsListSerializer,
)
from reports.api.totals import Scope, totals_detail, totals_list, totals_scope
from reports.models import Release
from strikeops.public_cache import PublicAPIMixin
from trusts.api import examples as ex
from trusts.api.authentication import api_user
from trusts.api.views import SLUG_PARAM
from trusts.models import IndustrialAction

NUMBER_PARAM = OpenApiParameter("number", OpenApiTypes.INT, OpenApiParameter.PATH, description="Release number")


# --- totals ----------------------------------------------------------------------------------------

def _scope_or_404(request: Request) -> Scope:
    scope = totals_scope(api_user(request))
    if scope is None:
        raise Http404("Figures are for managers and trust staff.")
    return scope


@extend_schema(tags=["Totals"])
class TotalsListView(APIView):
    @extend_schema(
        operation_id="totals_list",
        summary="Totals per action",
        description="Rescheduled totals of every action. National managers: England. Regional managers: England "
                    "and their region (`scoped`). Trust staff: their trusts only (`scoped`). Only submitted returns "
                    "count.",
        responses={200: TotalsListSerializer, **ex.errors(401, 404, 429)})
    def get(self, request: Request) -> Response:
        return Response(TotalsListSerializer(totals_list(_scope_or_404(request))).data)


@extend_schema(tags=["Totals"], parameters=[SLUG_PARAM])
class TotalsDetailView(APIView):
    @extend_schema(
        summary="Figures of one action",
        description="Per strike day and in total, as the reports pages show them: England (managers), regions "
                    "(all for national managers, their own for regional managers) and trusts (in your scope). "
                    "Staff absent for an action is the peak day, never a sum.",
        responses={200: TotalsDetailSerializer, **ex.errors(401, 404, 429)})
    def get(self, request: Request, slug: str) -> Response:
        scope = _scope_or_404(request)
        action = get_object_or_404(IndustrialAction.objects.prefetch_related("strike_days"), slug=slug)
        return Response(TotalsDetailSerializer(totals_detail(scope, action)).data)


# --- published releases (public) -------------------------------------------------------------------

@extend_schema(tags=["Published figures"])
class ReleaseListView(PublicAPIMixin, generics.ListAPIView[Release]):
    serializer_class = ReleaseSerializer
    permission_classes = [AllowAny]

    def get_queryset(self) -> QuerySet[Release]:
        return Release.objects.select_related("action").order_by("-published_at", "-pk")

    @extend_schema(summary="Published releases", description="Every published release, newest first. Public: no "
                   "token needed. Figures under the Open Government Licence v3.0.",
                   auth=[], responses={200: ReleaseSerializer(many=True), **ex.errors(400, 404, 429)})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponse:  # type: ignore[override]  # a cache hit
        return super().get(request, *args, **kwargs)


@extend_schema(tags=["Published figures"], parameters=[SLUG_PARAM, NUMBER_PARAM])
class ReleaseDetailView(PublicAPIMixin, generics.RetrieveAPIView[Release]):
    serializer_class = ReleaseDetailSerializer
    permission_classes = [AllowAny]

    def get_object(self) -> Release:
        return get_object_or_404(Release.objects.select_related("action"), action__slug=self.kwargs["slug"],
                                 number=self.kwargs["number"])

    @extend_schema(summary="One published release", description="The figures exactly as published (frozen), and "
                   "what changed since the previous release and why. Public.",
                   auth=[], responses={200: ReleaseDetailSerializer, **ex.errors(404, 429)})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponse:  # type: ignore[override]  # a cache hit
        return super().get(request, *args, **kwargs)
