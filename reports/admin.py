from django.contrib import admin

from reports.models import Release


@admin.register(Release)
class ReleaseAdmin(admin.ModelAdmin[Release]):
    """Read-only: a published release is frozen (publish from the action report)."""

    list_display = ("action", "number", "published_at", "published_by")
    list_filter = ("action",)
    list_select_related = ("action", "published_by")
    readonly_fields = ("action", "number", "published_at", "published_by", "figures", "changes_since_previous",
                       "last_revision_id")

    def has_add_permission(self, request) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None) -> bool:  # type: ignore[no-untyped-def]
        return False
