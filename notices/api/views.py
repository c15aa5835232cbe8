"""Notices API: published notices (public, like /notices/) and campaign status for a trust's
communications staff (their trusts only; 404 for any other campaign). Never a contact detail."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response

from notices.api.serializers import CampaignSerializer, NoticeSerializer
from notices.models import Campaign, Notice
from notices.selectors.campaigns import delivery_counts
from notices.selectors.delivery import campaign_progress_shared, progress_summary
from notices.selectors.notices import public_notice_or_404, public_notices
from strikeops.public_cache import PublicAPIMixin
from trusts.api import examples as ex
from trusts.api.serializers import QueryFilterSerializer
from trusts.models import Trust
from trusts.scoping import get_scoped_trust_or_404, trusts_notices_manageable

NOTICE_EXAMPLE = {
    "trust": "RWE", "trust_name": "University Hospitals of Leicester NHS Trust", "action": "junior-doctors-2023-04",
    "slug": "industrial-action-11-to-15-april-2023-our-apology-to-patients", "status": "published",
    "title": "Industrial action 11 to 15 April 2023: our apology to patients",
    "body": "Industrial action affected services at University Hospitals of Leicester NHS Trust on 11 to 15 April "
            "2023. We apologise to anyone whose care has been disrupted during this period.",
    "what_to_do": "Please come to your appointment as planned unless we have contacted you to rearrange it.",
    "version": 1, "published_at": "2023-04-20T10:00:00+01:00", "last_updated": "2023-04-20T10:00:00+01:00",
    "change_note": "", "withdrawn_at": None, "withdrawn_reason": "",
    "url": "https://strikeops.example.nhs.uk/notices/trusts/RWE/industrial-action-11-to-15-april-2023-our-apology-"
           "to-patients/",
}
CAMPAIGN_EXAMPLE = {
    "id": 12, "trust": "RWE", "action": "junior-doctors-2023-04", "template": "Appointment moved (SMS)",
    "channel": "sms", "status": "sending", "status_label": "Sending", "scheduled_for": None,
    "started_at": "2023-04-12T09:00:00+01:00", "finished_at": None, "cancelled_at": None, "purged_at": None,
    "recipient_count": 2133, "created_at": "2023-04-12T08:55:00+01:00",
    "progress": {"counts": {"queued": 100, "sending": 0, "awaiting_retry": 3, "delivered": 1900, "sent": 120,
                            "temporary_failure": 0, "permanent_failure": 10, "cancelled": 0},
                 "total": 2133, "pending": 103, "done": 2030, "succeeded": 2020, "failed": 10, "cancelled": 0,
                 "percent": 95},
}


def _page(payload: list[dict[str, Any]]) -> dict[str, Any]:
    return {"count": len(payload), "pages": 1, "next": None, "previous": None, "results": payload}


class NoticeFilterSerializer(QueryFilterSerializer):
    trust = serializers.CharField(required=False, max_length=10)
    action = serializers.SlugField(required=False, max_length=80)


@extend_schema(tags=["Notices"])
class NoticeListView(PublicAPIMixin, generics.ListAPIView[Notice]):
    serializer_class = NoticeSerializer
    permission_classes = [AllowAny]

    def get_queryset(self) -> QuerySet[Notice]:
        filters = NoticeFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        queryset = public_notices()
        if "trust" in filters.validated_data:
            queryset = queryset.filter(trust__ods_code=filters.validated_data["trust"].upper())
        if "action" in filters.validated_data:
            queryset = queryset.filter(action__slug=filters.validated_data["action"])
        return queryset

    @extend_schema(summary="Published notices", description="Trusts' public notices about industrial action, "
                   "newest first, as published (the text patients read). Public: no token needed.",
                   auth=[],
                   parameters=[OpenApiParameter("trust", OpenApiTypes.STR, description="Only this trust (ODS code)."),
                               OpenApiParameter("action", OpenApiTypes.STR, description="Only this action (slug).")],
                   responses={200: NoticeSerializer(many=True), **ex.errors(400, 404, 429)},
                   examples=[OpenApiExample("Notices", value=_page([NOTICE_EXAMPLE]), response_only=True)])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponse:  # type: ignore[override]  # a cache hit
        return super().get(request, *args, **kwargs)


@extend_schema(tags=["Notices"], parameters=[
    OpenApiParameter("ods_code", OpenApiTypes.STR, OpenApiParameter.PATH, description="Trust ODS code"),
    OpenApiParameter("slug", OpenApiTypes.STR, OpenApiParameter.PATH, description="The notice's slug")])
class NoticeDetailView(PublicAPIMixin, generics.RetrieveAPIView[Notice]):
    serializer_class = NoticeSerializer
    permission_classes = [AllowAny]

    def get_object(self) -> Notice:
        return public_notice_or_404(self.kwargs["ods_code"], self.kwargs["slug"])

    @extend_schema(summary="One notice", description="A published notice, or a withdrawn one with the reason "
                   "(drafts do not exist for the public). Public.", auth=[],
                   responses={200: NoticeSerializer, **ex.errors(404, 429)},
                   examples=[OpenApiExample("Notice", value=NOTICE_EXAMPLE, response_only=True)])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponse:  # type: ignore[override]  # a cache hit
        return super().get(request, *args, **kwargs)


# --- campaign status (communications staff) --------------------------------------------------------

def comms_trusts(request: Request) -> QuerySet[Trust]:
    return trusts_notices_manageable(request.user)


class CampaignFilterSerializer(QueryFilterSerializer):
    trust = serializers.CharField(required=False, max_length=10)


def _campaigns() -> QuerySet[Campaign]:
    return Campaign.objects.select_related("trust", "action", "template").order_by("-created_at", "-pk")


@extend_schema(tags=["Campaigns"])
class CampaignListView(generics.ListAPIView[Campaign]):
    serializer_class = CampaignSerializer

    def get_queryset(self) -> QuerySet[Campaign]:
        filters = CampaignFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        trusts = comms_trusts(self.request)
        if "trust" in filters.validated_data:
            trusts = Trust.objects.filter(pk=get_scoped_trust_or_404(trusts, filters.validated_data["trust"]).pk)
        return _campaigns().filter(trust__in=trusts.values("pk"))

    def get_serializer(self, *args: Any, **kwargs: Any) -> CampaignSerializer:
        campaigns = args[0] if args else []
        counts = delivery_counts(campaigns)  # one grouped query for the page
        kwargs["context"] = {**self.get_serializer_context(),
                             "progress": {c.pk: progress_summary(counts.get(c.pk, {})) for c in campaigns}}
        return CampaignSerializer(*args, **kwargs)

    @extend_schema(summary="Campaigns of your trusts", description="Patient message campaigns of the trusts where "
                   "you are communications staff, newest first, with delivery progress. No contact details.",
                   parameters=[OpenApiParameter("trust", OpenApiTypes.STR,
                                                description="Only this trust (ODS code; 404 outside your trusts).")],
                   responses={200: CampaignSerializer(many=True), **ex.errors(400, 401, 404, 429)},
                   examples=[OpenApiExample("Campaigns", value=_page([CAMPAIGN_EXAMPLE]), response_only=True)])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


@extend_schema(tags=["Campaigns"], parameters=[
    OpenApiParameter("id", OpenApiTypes.INT, OpenApiParameter.PATH, description="Campaign id")])
class CampaignDetailView(generics.RetrieveAPIView[Campaign]):
    serializer_class = CampaignSerializer

    def get_object(self) -> Campaign:
        return get_object_or_404(_campaigns().filter(trust__in=comms_trusts(self.request).values("pk")),
                                 pk=self.kwargs["pk"])

    def get_serializer(self, *args: Any, **kwargs: Any) -> CampaignSerializer:
        campaign = args[0] if args else None
        # The API's progress is the counts summary, as in the list (the page's "what is happening"
        # lines are not part of it).
        progress = ({campaign.pk: progress_summary(campaign_progress_shared(campaign)["counts"])}
                    if campaign is not None else {})
        kwargs["context"] = {**self.get_serializer_context(), "progress": progress}
        return CampaignSerializer(*args, **kwargs)

    @extend_schema(summary="A campaign's status", description="Status and live delivery progress of one campaign "
                   "of your trusts (404 for any other). No contact details.",
                   responses={200: CampaignSerializer, **ex.errors(401, 404, 429)},
                   examples=[OpenApiExample("Campaign", value=CAMPAIGN_EXAMPLE, response_only=True)])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)
