from django.apps import AppConfig


def _recover() -> dict[str, int]:
    """The notices' part of the outbox recovery (notices.tasks.recover), imported when it runs: the
    tasks modules are Celery's autodiscovery's to import, not Django's start-up."""
    from notices.tasks import recover

    return recover()


class NoticesConfig(AppConfig):
    name = "notices"
    verbose_name = "Patient notices and messages"

    def ready(self) -> None:
        from outbox.registry import register
        from strikeops.public_cache import connect_invalidation

        connect_invalidation("notices")
        # Campaign deliveries and subscriber emails, in the outbox's one recovery task.
        register("notices", recover=_recover)
