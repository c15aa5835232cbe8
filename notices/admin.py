"""Admin for the notices app. Each area registers its own models below; keep additions additive."""

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from notices.models import Notice, NoticeRevision, NoticeVersion, SubscriberEmail, Subscription


class NoticeVersionInline(admin.TabularInline[NoticeVersion, Notice]):
    model = NoticeVersion
    extra = 0
    can_delete = False
    fields = ("number", "title", "change_note", "published_by", "published_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin[Notice]):
    # Read-only here: publishing goes through the service (versions, revisions, audit, emails).
    list_display = ("title", "trust", "action", "status", "published_at", "updated_at_public")
    list_filter = ("status", "trust__icb__region")
    search_fields = ("title", "trust__name", "trust__ods_code")
    list_select_related = ("trust", "action")
    inlines = [NoticeVersionInline]

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(NoticeRevision)
class NoticeRevisionAdmin(admin.ModelAdmin[NoticeRevision]):
    list_display = ("notice", "change", "changed_by", "created_at")
    list_filter = ("change",)
    list_select_related = ("notice", "changed_by")

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin[Subscription]):
    list_display = ("email", "trust", "status", "created_at", "confirmed_at", "unsubscribed_at")
    list_filter = ("status",)
    search_fields = ("email", "trust__ods_code")
    list_select_related = ("trust",)
    readonly_fields = ("unsubscribe_token", "confirmation_sent_at", "confirmed_at", "unsubscribed_at")
    autocomplete_fields = ("trust",)


@admin.register(SubscriberEmail)
class SubscriberEmailAdmin(admin.ModelAdmin[SubscriberEmail]):
    list_display = ("version", "subscription", "status", "attempts", "sent_at")
    list_filter = ("status",)
    list_select_related = ("version", "subscription")

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


# --- Message templates (messaging) ---------------------------------------------------------------

from notices.models.templates import MessageTemplate  # noqa: E402


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin[MessageTemplate]):
    list_display = ("name", "channel", "trust", "archived", "updated_at")
    list_filter = ("channel", "archived")
    search_fields = ("name", "trust__name", "trust__ods_code")
    raw_id_fields = ("trust", "created_by")
    readonly_fields = ("created_by", "created_at", "updated_at")
