from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports, releases and open data"

    def ready(self) -> None:
        from strikeops.public_cache import connect_invalidation

        connect_invalidation("reports")
