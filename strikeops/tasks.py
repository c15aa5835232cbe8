"""Project-level tasks that belong to no app."""

from strikeops.celery import shared_task


@shared_task(name="strikeops.health")
def health(token: str) -> str:
    """Echo a token back: proves the broker -> worker -> result backend round trip."""
    return f"ok:{token}"
