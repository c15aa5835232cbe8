"""The API for the manager-trust loop (docs/api.md): a trust system lists the queries NHS England
has raised on its returns and answers one; a trust signs a return off. Scoped like the pages: a
trust administrator's own trusts (managers read queries in their scope); anything else is 404."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from trusts.api import examples as ex
from trusts.api.authentication import api_user
from trusts.api.errors import ApiError
from trusts.api.serializers import ReturnSerializer
from trusts.api.views import (
    DATE_PARAM,
    SLUG_PARAM,
    TRUST_PARAM,
    _parse_day,
    _return_queryset,
)
from trusts.models import QueryAnswer, QueryStatus, ReturnQuery
from trusts.scoping import trusts_returns_editable, trusts_returns_readable
from trusts.services.queries import query_answer
from trusts.services.sign_off import return_sign_off


class QuerySerializer(serializers.ModelSerializer[ReturnQuery]):
    trust = serializers.CharField(source="daily_return.trust.ods_code", help_text="ODS code.")
    action = serializers.CharField(source="daily_return.action.slug")
    date = serializers.DateField(source="daily_return.date")
    figure_label = serializers.CharField(source="get_figure_display")
    raised_by = serializers.SerializerMethodField()

    class Meta:
        model = ReturnQuery
        fields = ["id", "trust", "action", "date", "figure", "figure_label", "figure_value", "question", "status",
                  "raised_by", "raised_at", "answer", "answer_comment", "answered_at", "closed_at"]

    def get_raised_by(self, query: ReturnQuery) -> str | None:
        return str(query.raised_by) if query.raised_by else None


class QueryAnswerSerializer(serializers.Serializer[Any]):
    answer = serializers.ChoiceField(choices=QueryAnswer.choices,
                                     help_text="confirmed: the figure is right; revised: it becomes new_value.")
    comment = serializers.CharField(max_length=1000, help_text="Why the figure is right, or the reason for the "
                                                               "change (the revision's reason).")
    new_value = serializers.IntegerField(required=False, allow_null=True, min_value=0,
                                         help_text="The corrected figure (answer revised only).")


class SignOffSerializer(serializers.Serializer[Any]):
    version = serializers.IntegerField(min_value=1, help_text="The version of the return you are signing off.")


@extend_schema(tags=["Queries"])
class QueryListView(generics.ListAPIView[ReturnQuery]):
    serializer_class = QuerySerializer

    def get_queryset(self) -> Any:
        # A parameter this list does not know is a mistake to say so, not a filter silently dropped.
        unknown = sorted(set(self.request.query_params) - {"status", "page", "page_size"})
        if unknown:
            raise ApiError(status_code=400, code="bad_request", message=f"Unknown parameter: {', '.join(unknown)}",
                           fields={name: ["Not a parameter of this list"] for name in unknown})
        status = self.request.query_params.get("status", QueryStatus.OPEN)
        if status not in (*QueryStatus.values, "all"):
            raise ApiError(status_code=400, code="bad_request", message="status must be open, answered, closed or all",
                           fields={"status": ["Choose open, answered, closed or all"]})
        readable = trusts_returns_readable(api_user(self.request)).values("pk")
        queries = (ReturnQuery.objects.filter(daily_return__trust__in=readable)
                   .select_related("daily_return__trust", "daily_return__action", "raised_by")
                   .order_by("raised_at", "pk"))
        return queries.filter(status=status) if status != "all" else queries

    @extend_schema(
        summary="Queries on your trusts' returns",
        description="Questions NHS England has raised about one figure of one of your returns. By default the "
                    "open ones (waiting for your answer); `status=answered`, `closed` or `all` for others.",
        parameters=[OpenApiParameter("status", OpenApiTypes.STR, enum=["open", "answered", "closed", "all"])],
        responses={200: QuerySerializer(many=True), **ex.errors(400, 401, 404, 429)})
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


@extend_schema(tags=["Queries"])
class QueryAnswerView(APIView):
    @extend_schema(
        summary="Answer a query",
        description="Confirm the figure with a comment, or revise it (a revision of the return, with the comment "
                    "as its reason: the return's locks and checks apply). Trust administrators of the trust only.",
        parameters=[OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Query id")],
        request=QueryAnswerSerializer, responses={200: QuerySerializer, **ex.errors(400, 401, 404, 409, 422, 423, 429)},
        examples=[OpenApiExample("Confirm", value={"answer": "confirmed", "comment": "Two outpatient sites closed"},
                                 request_only=True),
                  OpenApiExample("Revise", value={"answer": "revised", "new_value": 430,
                                                  "comment": "A typing error: 430, not 4,300"}, request_only=True)])
    def post(self, request: Request, pk: int) -> Response:
        query = get_object_or_404(ReturnQuery.objects.filter(
            daily_return__trust__in=trusts_returns_editable(api_user(request)).values("pk")), pk=pk)
        incoming = QueryAnswerSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        # A refusal (QueryRefused, or the return's own rules on a revision) is answered by the exception handler.
        answered = query_answer(query=query, user=api_user(request), answer=data["answer"], comment=data["comment"],
                                new_value=data.get("new_value"), request=request._request)
        return Response(QuerySerializer(ReturnQuery.objects.select_related(
            "daily_return__trust", "daily_return__action", "raised_by").get(pk=answered.pk)).data)


@extend_schema(tags=["Returns"])
class ReturnSignOffView(APIView):
    @extend_schema(
        summary="Sign a return off",
        description="For actions that require sign-off: a trust administrator other than the person who last "
                    "submitted the return confirms its figures. A later revision needs a new sign-off.",
        parameters=[TRUST_PARAM, SLUG_PARAM, DATE_PARAM],
        request=SignOffSerializer, responses={200: ReturnSerializer, **ex.errors(400, 401, 404, 409, 422, 423, 429)},
        examples=[OpenApiExample("Sign off version 2", value={"version": 2}, request_only=True)])
    def post(self, request: Request, ods_code: str, slug: str, day: str) -> Response:
        daily_return = _return_queryset().filter(
            trust__in=trusts_returns_editable(api_user(request)).values("pk"), trust__ods_code=ods_code.upper(),
            action__slug=slug, date=_parse_day(day)).first()
        if daily_return is None:
            raise Http404("No such return in your organisations.")
        incoming = SignOffSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        return_sign_off(daily_return=daily_return, user=api_user(request),
                        expected_version=incoming.validated_data["version"], request=request._request)
        return Response(ReturnSerializer(_return_queryset().get(pk=daily_return.pk)).data)

