import pytest
from django.db import DatabaseError, transaction

from trusts.models import AuditEvent
from trusts.services.audit import audit_record

pytestmark = pytest.mark.django_db


def test_sign_ins_and_failed_sign_ins_are_audited(client, ada) -> None:
    client.post("/sign-in/", {"username": ada.email, "password": "wrong"})
    client.post("/sign-in/", {"username": ada.email, "password": "correct-horse-battery-staple"})
    events = list(AuditEvent.objects.order_by("id").values_list("event", "actor_email"))
    assert events == [("auth.sign_in_failed", ""), ("auth.signed_in", ada.email)]
    failed = AuditEvent.objects.get(event="auth.sign_in_failed")
    assert failed.details == {"email": ada.email}
    assert "wrong" not in str(failed.details)


def test_the_application_cannot_change_or_delete_an_audit_row(rwe) -> None:
    event = audit_record(event="test.event", summary="Something happened", trust=rwe)
    event.summary = "Something else"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()


def test_the_database_refuses_update_and_delete_even_from_raw_querysets(rwe) -> None:
    audit_record(event="test.event", summary="Something happened", trust=rwe)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.update(summary="rewritten")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get().summary == "Something happened"
