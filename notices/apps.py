from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "notices"
    verbose_name = "Patient notices and messages"

    def ready(self) -> None:
        from notices.tasks import recover
        from outbox.registry import register
        from strikeops.public_cache import connect_invalidation

        connect_invalidation("notices")
        # Campaign deliveries and subscriber emails, in the outbox's one recovery task.
        register("notices", recover=recover)
