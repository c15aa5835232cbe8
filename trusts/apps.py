from django.apps import AppConfig


class TrustsConfig(AppConfig):
    name = "trusts"
    verbose_name = "Trusts, actions and returns"

    def ready(self) -> None:
        from strikeops import checks  # noqa: F401  (registers the production-settings check)
        from strikeops.public_cache import connect_invalidation
        from trusts import signals  # noqa: F401  (connects the audit receivers)

        connect_invalidation("trusts")
