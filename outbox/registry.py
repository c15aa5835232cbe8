"""The tables of the outbox, for its tasks. Each app registers its tables from its AppConfig.ready
(notices: campaign deliveries and subscriber emails; trusts: emails to trusts), so that the engine
below them imports neither:
- a recovery, run by the one recovery task (outbox.tasks.outbox_recover);
- for tables of one message per task, a sender, run by the one send task (outbox.tasks.outbox_send)
  with the table's name and a row id, so that a service queues a message without importing a task
  module that imports it back."""

from __future__ import annotations

from collections.abc import Callable

# Counts for the recovery task's report, named by the recovery (e.g. {"trust_emails_released": 1}).
# Each recovery reads its own clock, as its app's services do.
Recovery = Callable[[], dict[str, int]]
# Sends one row (by id) through outbox.engine.send_one; the status recorded, or None.
Sender = Callable[[int], str | None]

_recoveries: dict[str, Recovery] = {}
_senders: dict[str, Sender] = {}


def register(name: str, *, recover: Recovery, send: Sender | None = None) -> None:
    """Run `recover` in every outbox recovery, and `send` for outbox_send(name, id). Registering the
    same name again replaces it."""
    _recoveries[name] = recover
    if send is not None:
        _senders[name] = send


def registered() -> list[str]:
    return list(_recoveries)


def sender(name: str) -> Sender:
    return _senders[name]


def recover_all() -> dict[str, int]:
    """Every registered table's recovery, in registration order; one report."""
    report: dict[str, int] = {}
    for recover in _recoveries.values():
        report.update(recover())
    return report
