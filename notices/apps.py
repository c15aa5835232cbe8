from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "notices"
    verbose_name = "Patient notices and messages"

    def ready(self) -> None:
        from strikeops.public_cache import connect_invalidation

        connect_invalidation("notices")
