"""Serializers of the reports API: the totals of actions (per scope) and the published releases."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from reports.api.links import release_links
from reports.models import Release
from trusts.figures import DAY_METRICS, RESCHEDULED_METRICS
from trusts.selectors.completeness import ReportStatus

# --- totals ---------------------------------------------------------------------------------------

def _metrics_serializer(name: str, metrics: tuple[str, ...], **extra: serializers.Field[Any, Any, Any, Any]) -> type:
    # null: nobody reported the figure (DOMAIN.md, "Missing is never zero"); 0 is a reported 0.
    attrs: dict[str, Any] = {metric: serializers.IntegerField(allow_null=True) for metric in metrics}
    attrs.update(extra)
    return type(name, (serializers.Serializer,), attrs)


DayFiguresSerializer = _metrics_serializer(
    "DayFiguresSerializer", DAY_METRICS, date=serializers.DateField(),
    returns=serializers.IntegerField(required=False, help_text="Returns received that day (areas)."),
    returns_expected=serializers.IntegerField(required=False, help_text="England only."),
    returns_received=serializers.IntegerField(required=False, help_text="England only."),
    returns_on_time=serializers.IntegerField(required=False, help_text="England only: received by the deadline."),
    status=serializers.ChoiceField(choices=ReportStatus.choices, required=False, allow_null=True,
                                   help_text="Trusts: submitted, nil return, not submitted or late."),
)
ActionTotalsSerializer = _metrics_serializer(
    "ActionTotalsSerializer", RESCHEDULED_METRICS,
    peak_staff_absent=serializers.IntegerField(required=False, allow_null=True),
    peak_staff_absent_date=serializers.DateField(required=False, allow_null=True),
    average_staff_absent=serializers.FloatField(required=False, allow_null=True, help_text="England only."),
    planned_care_maintained_percent=serializers.FloatField(required=False, allow_null=True,
                                                           help_text="England only; null without planned figures."),
    days_reported=serializers.IntegerField(required=False),
    returns=serializers.IntegerField(required=False),
)


class CoverageSerializer(serializers.Serializer[Any]):
    returns_expected = serializers.IntegerField()
    returns_received = serializers.IntegerField()
    percent = serializers.FloatField(help_text="Floored to one decimal: never 100 while a return is missing.")


class PreviousActionSerializer(serializers.Serializer[Any]):
    slug = serializers.CharField()
    acute_rescheduled = serializers.IntegerField(allow_null=True)
    average_staff_absent = serializers.FloatField(allow_null=True)


class AreaSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(help_text="Region code, or the trust's ODS code.")
    name = serializers.CharField()
    region_code = serializers.CharField()
    days = DayFiguresSerializer(many=True)
    totals = ActionTotalsSerializer()
    status = serializers.ChoiceField(choices=ReportStatus.choices, required=False, allow_null=True,
                                     help_text="Trusts, over the action: not submitted while a return is missing.")
    missing_dates = serializers.ListField(child=serializers.DateField(), required=False,
                                         help_text="Trusts: strike days it owed a return and sent none.")


class EnglandSerializer(serializers.Serializer[Any]):
    headline = serializers.CharField()
    days = DayFiguresSerializer(many=True)
    totals = ActionTotalsSerializer()
    coverage = CoverageSerializer()
    previous_action = PreviousActionSerializer(allow_null=True)


class ScopeSerializer(serializers.Serializer[Any]):
    level = serializers.ChoiceField(choices=["england", "region", "trust"])
    regions = serializers.ListField(child=serializers.CharField())
    trusts = serializers.ListField(child=serializers.CharField(), help_text="ODS codes (trust level only).")


class TotalsDetailSerializer(serializers.Serializer[Any]):
    action = serializers.CharField()
    name = serializers.CharField()
    scope = ScopeSerializer()
    england = EnglandSerializer(allow_null=True, help_text="Managers only.")
    regions = AreaSerializer(many=True)
    trusts = AreaSerializer(many=True)


class TotalsRowSerializer(serializers.Serializer[Any]):
    action = serializers.CharField()
    name = serializers.CharField()
    first_day = serializers.DateField(allow_null=True)
    last_day = serializers.DateField(allow_null=True)
    england = ActionTotalsSerializer(allow_null=True, help_text="Managers only.")
    scoped = ActionTotalsSerializer(allow_null=True, help_text="Your region's or trusts' totals (not national).")
    coverage = CoverageSerializer(help_text="Returns received of expected over the action's strike days: England's "
                                            "for managers, your trusts' for trust staff.")


class TotalsListSerializer(serializers.Serializer[Any]):
    scope = ScopeSerializer()
    actions = TotalsRowSerializer(many=True)


# --- releases ---------------------------------------------------------------------------------------

class ReleaseSerializer(serializers.ModelSerializer[Release]):
    action = serializers.CharField(source="action.slug")
    action_name = serializers.CharField(source="action.name")
    headline = serializers.SerializerMethodField()
    links = serializers.SerializerMethodField()

    class Meta:
        model = Release
        fields = ["action", "action_name", "number", "published_at", "headline", "links"]

    @extend_schema_field(OpenApiTypes.STR)
    def get_headline(self, release: Release) -> str:
        return str(release.figures.get("national", {}).get("headline", ""))

    @extend_schema_field(serializers.DictField(child=serializers.URLField()))
    def get_links(self, release: Release) -> dict[str, str]:
        return release_links(self.context["request"], release)


class ReleaseDetailSerializer(ReleaseSerializer):
    figures = serializers.DictField(help_text="The action's figures as published: national (national_totals "
                                              "shape), days, completeness, regions, icbs, trusts.")
    changes_since_previous = serializers.DictField(help_text="What changed since the previous release, and why.")

    class Meta(ReleaseSerializer.Meta):
        fields = [*ReleaseSerializer.Meta.fields, "note", "incomplete_reason", "coverage_threshold", "figures",
                  "changes_since_previous"]

