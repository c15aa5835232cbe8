import uuid

import pytest

from strikeops.tasks import health


def test_health_task_runs_in_process_without_a_broker() -> None:
    assert health.delay("abc").get(timeout=5) == "ok:abc"


@pytest.mark.worker
def test_health_round_trip_through_redis_and_a_real_worker(celery_worker_process) -> None:
    token = uuid.uuid4().hex
    result = health.delay(token)
    assert result.get(timeout=30) == f"ok:{token}"
    # The answer came from another process over Redis, not from an eager call.
    assert result.backend.__class__.__name__ == "RedisBackend"
