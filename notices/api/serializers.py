"""Serializers of the notices API: public notices, and campaign status without contact details."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from notices.models import Campaign, DeliveryStatus, Notice


class NoticeSerializer(serializers.ModelSerializer[Notice]):
    trust = serializers.CharField(source="trust.ods_code", help_text="ODS code.")
    trust_name = serializers.CharField(source="trust.name")
    action = serializers.SerializerMethodField()
    title = serializers.CharField(source="current_version.title")
    body = serializers.CharField(source="current_version.body")
    what_to_do = serializers.CharField(source="current_version.what_to_do")
    version = serializers.IntegerField(source="current_version.number")
    last_updated = serializers.DateTimeField(source="updated_at_public", allow_null=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Notice
        fields = ["trust", "trust_name", "action", "slug", "status", "title", "body", "what_to_do", "version",
                  "published_at", "last_updated", "change_note", "withdrawn_at", "withdrawn_reason", "url"]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_action(self, notice: Notice) -> str | None:
        return notice.action.slug if notice.action else None

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, notice: Notice) -> str:
        url: str = self.context["request"].build_absolute_uri(notice.get_absolute_url())
        return url


class ProgressSerializer(serializers.Serializer[dict[str, Any]]):
    counts = serializers.DictField(child=serializers.IntegerField(), help_text="Deliveries per status: "
                                   + ", ".join(DeliveryStatus.values) + ".")
    total = serializers.IntegerField()
    pending = serializers.IntegerField()
    done = serializers.IntegerField()
    succeeded = serializers.IntegerField()
    failed = serializers.IntegerField()
    cancelled = serializers.IntegerField()
    percent = serializers.IntegerField(help_text="Done, in whole percent rounded down.")


class CampaignSerializer(serializers.ModelSerializer[Campaign]):
    """What a campaign is and how far it has gone: no recipient, address, number or message text."""

    trust = serializers.CharField(source="trust.ods_code")
    action = serializers.SerializerMethodField()
    template = serializers.CharField(source="template.name")
    status_label = serializers.CharField(source="get_status_display")
    progress = serializers.SerializerMethodField()

    class Meta:
        model = Campaign
        fields = ["id", "trust", "action", "template", "channel", "status", "status_label", "scheduled_for",
                  "started_at", "finished_at", "cancelled_at", "purged_at", "recipient_count", "created_at",
                  "progress"]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_action(self, campaign: Campaign) -> str | None:
        return campaign.action.slug if campaign.action else None

    @extend_schema_field(ProgressSerializer)
    def get_progress(self, campaign: Campaign) -> dict[str, Any]:
        progress: dict[str, Any] = self.context["progress"][campaign.pk]
        return progress
