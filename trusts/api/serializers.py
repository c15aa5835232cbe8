"""Serializers of the trusts API: what goes out (read) and what comes in (writes of returns).

Figures come in as JSON integers (or null) without range checks here: the returns service checks
them, so a figure out of range gets the web's own message ("Staff absent must be 0 or more")."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from trusts.figures import FIGURE, FIGURE_FIELDS, WORKFORCE_FIELDS
from trusts.forms.returns import MAX_TEXT
from trusts.models import DailyReturn, IndustrialAction, ReturnRevision, ReturnStatus, StrikeDay, WalkoutWindow

# Workforce figures come only from trusts the action affects (DOMAIN.md, "Daily returns").
WORKFORCE_HELP = " Only from trusts the action affects."
RANGE_HELP = " A whole number from 0 to 1,000,000, or null."


# JSON clients send JSON types: "12" for a count or "yes" for a flag is a malformed request (400), not
# something to guess at. (DRF's own fields would coerce them.)
class StrictIntegerField(serializers.IntegerField):
    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class StrictCharField(serializers.CharField):
    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


# --- actions ------------------------------------------------------------------------------------

class WindowSerializer(serializers.ModelSerializer[WalkoutWindow]):
    class Meta:
        model = WalkoutWindow
        fields = ["starts_at", "ends_at"]


class StrikeDaySerializer(serializers.ModelSerializer[StrikeDay]):
    class Meta:
        model = StrikeDay
        fields = ["date", "starts_at", "ends_at", "deadline"]


class ActionSerializer(serializers.ModelSerializer[IndustrialAction]):
    staff_group_label = serializers.CharField(source="get_staff_group_display")
    unions = serializers.ListField(child=serializers.CharField())
    locks_at = serializers.DateTimeField(allow_null=True, help_text="Returns lock after this time (hard close).")
    affects_all_trusts = serializers.SerializerMethodField()
    affected_trusts = serializers.SerializerMethodField()

    class Meta:
        model = IndustrialAction
        fields = ["slug", "name", "staff_group", "staff_group_label", "unions", "first_day", "last_day",
                  "hard_close", "locks_at", "affects_all_trusts", "affected_trusts", "requires_sign_off"]

    # Both read the prefetched affected trusts (no query per action).
    @extend_schema_field(OpenApiTypes.BOOL)
    def get_affects_all_trusts(self, action: IndustrialAction) -> bool:
        return not action.affected_trusts.all()

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_affected_trusts(self, action: IndustrialAction) -> list[str]:
        """ODS codes of the trusts where staff are taking action (empty: every trust)."""
        return sorted(t.ods_code for t in action.affected_trusts.all())


class ActionDetailSerializer(ActionSerializer):
    windows = WindowSerializer(many=True)
    strike_days = StrikeDaySerializer(many=True)

    class Meta(ActionSerializer.Meta):
        fields = [*ActionSerializer.Meta.fields, "windows", "strike_days"]


# --- returns --------------------------------------------------------------------------------------

class RevisionSerializer(serializers.ModelSerializer[ReturnRevision]):
    changed_by = serializers.SerializerMethodField()
    changes = serializers.DictField(child=serializers.ListField(allow_null=True),
                                    help_text="{field: [old, new]} for every figure or flag that changed.")

    class Meta:
        model = ReturnRevision
        fields = ["version", "changed_by", "source", "reason", "changes", "created_at"]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_changed_by(self, revision: ReturnRevision) -> str | None:
        return str(revision.changed_by) if revision.changed_by else None


class ReturnSerializer(serializers.ModelSerializer[DailyReturn]):
    trust = serializers.CharField(source="trust.ods_code", help_text="ODS code.")
    trust_name = serializers.CharField(source="trust.name")
    action = serializers.CharField(source="action.slug")
    deadline = serializers.DateTimeField(source="strike_day.deadline",
                                         help_text="11am on the next working day after the strike day.")
    acute_rescheduled = serializers.IntegerField()
    total_rescheduled = serializers.IntegerField()
    submitted_by = serializers.SerializerMethodField()

    class Meta:
        model = DailyReturn
        fields = ["trust", "trust_name", "action", "date", "status", "version", *FIGURE_FIELDS,
                  "acute_rescheduled", "total_rescheduled", "is_nil", "is_late", "warning_comment", "deadline",
                  "first_submitted_at", "submitted_at", "submitted_by", "source", "signed_off_at"]

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_submitted_by(self, daily_return: DailyReturn) -> str | None:
        return str(daily_return.submitted_by) if daily_return.submitted_by else None


class ReturnDetailSerializer(ReturnSerializer):
    editable = serializers.SerializerMethodField()
    lock_reason = serializers.SerializerMethodField()
    revisions = RevisionSerializer(many=True)

    class Meta(ReturnSerializer.Meta):
        fields = [*ReturnSerializer.Meta.fields, "editable", "lock_reason", "revisions"]

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_editable(self, daily_return: DailyReturn) -> bool:
        return bool(self.context.get("editable"))

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_lock_reason(self, daily_return: DailyReturn) -> str | None:
        """Why the caller cannot change the return now (only for its trust's administrators)."""
        return self.context.get("lock_reason")


def _figure_field(name: str) -> serializers.IntegerField:
    return StrictIntegerField(required=False, allow_null=True, default=None,
                              help_text=FIGURE[name].description
                              + (WORKFORCE_HELP if name in WORKFORCE_FIELDS else "") + RANGE_HELP)


class ReturnWriteSerializer(serializers.Serializer[Any]):
    """A submission (or, with draft=true, a draft). Missing figures are null."""

    version = StrictIntegerField(
        min_value=0, help_text="The version you read (0 if there was no return). A different current version "
                               "gives 409 with what changed since.")
    draft = StrictBooleanField(default=False, help_text="Save without submitting (first submission only; "
                                                              "gaps allowed, nil and comments ignored).")
    nil = StrictBooleanField(default=False, help_text='"No impact, confirmed": every rescheduled count 0 '
                                                            "(and staff absent 0 for an affected trust).")
    warning_comment = StrictCharField(
        default="", allow_blank=True, max_length=MAX_TEXT, help_text="Why figures that raised a warning are right.",
        error_messages={"max_length": f"The comment must be {MAX_TEXT:,} characters or fewer"})
    reason = StrictCharField(
        default="", allow_blank=True, max_length=MAX_TEXT,
        help_text="Why a submitted return changed (required after the deadline).",
        error_messages={"max_length": f"The reason must be {MAX_TEXT:,} characters or fewer"})

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        fields = super().get_fields()
        for name in FIGURE_FIELDS:
            fields[name] = _figure_field(name)
        return fields

    def figures(self) -> dict[str, Any]:
        return {name: self.validated_data.get(name) for name in FIGURE_FIELDS}


class ReturnCreateSerializer(ReturnWriteSerializer):
    """A new return: which trust, action and strike day it is for, then the figures."""

    trust = StrictCharField(max_length=10, help_text="ODS code of one of your trusts.")
    action = StrictCharField(max_length=80, help_text="The industrial action's slug.")
    date = serializers.DateField(help_text="The strike day (YYYY-MM-DD).")
    version = StrictIntegerField(min_value=0, max_value=0, default=0, help_text="Always 0 for a new return.")


class QueryFilterSerializer(serializers.Serializer[Any]):
    """Filters from the query string. A filter given with no value is an error, not "no filter"."""

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        empty = {name: ["Enter a value, or leave the parameter out"] for name, _ in self.fields.items()
                 if name in data and data.get(name) == ""}
        if empty:
            raise serializers.ValidationError(empty)
        values: dict[str, Any] = super().to_internal_value(data)
        return values


class ReturnFilterSerializer(QueryFilterSerializer):
    action = serializers.SlugField(required=False, max_length=80)
    trust = serializers.CharField(required=False, max_length=10)
    date = serializers.DateField(required=False)
    status = serializers.ChoiceField(required=False, choices=ReturnStatus.choices)
