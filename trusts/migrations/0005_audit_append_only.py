"""Refuse UPDATE and DELETE on the audit log in the database itself, so that not
even a bug (or a raw query) in the application can rewrite history. TRUNCATE, which only test
databases use between tests, is not affected."""

from django.db import migrations

FORWARD = """
CREATE OR REPLACE FUNCTION trusts_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER trusts_auditevent_no_update_or_delete
    BEFORE UPDATE OR DELETE ON trusts_auditevent
    FOR EACH ROW EXECUTE FUNCTION trusts_auditevent_append_only();
"""
BACKWARD = """
DROP TRIGGER IF EXISTS trusts_auditevent_no_update_or_delete ON trusts_auditevent;
DROP FUNCTION IF EXISTS trusts_auditevent_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("trusts", "0004_audit_log")]
    operations = [migrations.RunSQL([FORWARD], [BACKWARD])]
