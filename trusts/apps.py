from django.apps import AppConfig


class TrustsConfig(AppConfig):
    name = "trusts"
    verbose_name = "Trusts, actions and returns"

    def ready(self) -> None:
        from outbox.registry import register
        from strikeops import checks  # noqa: F401  (registers the production-settings check)
        from strikeops.public_cache import connect_invalidation
        from trusts import signals  # noqa: F401  (connects the audit receivers)
        from trusts.services.trust_emails import TABLE, trust_email_send, trust_emails_recover

        connect_invalidation("trusts")
        # Emails to trusts (reminders, reopened returns): sent by outbox.send, recovered by outbox.recover.
        register(TABLE, recover=trust_emails_recover, send=trust_email_send)
