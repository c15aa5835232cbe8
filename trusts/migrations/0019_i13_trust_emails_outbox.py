"""Reminder and reopening emails become rows of the outbox (TrustEmail). Existing reminders keep their
shape; one still `claimed` was left by a send under the old code (which sent in the task and wrote
the outcome after): it has no outbox rows and will never settle, so it is recorded as failed with
what is known. Sent, failed and no-contact rows are unchanged."""

import django.db.models.deletion
from django.db import migrations, models


def close_claims_made_before_the_outbox(apps, schema_editor):  # type: ignore[no-untyped-def]
    apps.get_model("trusts", "ReminderSent").objects.filter(status="claimed").update(
        status="failed", error="Not known whether it was sent: it was being sent before reminders used the outbox")


class Migration(migrations.Migration):

    dependencies = [
        ('trusts', '0018_i17_reports_app_models'),
    ]

    operations = [
        migrations.AlterField(
            model_name='remindersent',
            name='recipient_count',
            field=models.PositiveIntegerField(default=0, help_text='People whose email was sent.'),
        ),
        migrations.AlterField(
            model_name='remindersent',
            name='recipients',
            field=models.JSONField(blank=True, default=list, help_text='The addresses the reminder is for.'),
        ),
        migrations.AlterField(
            model_name='remindersent',
            name='status',
            field=models.CharField(choices=[('claimed', 'Sending'), ('sent', 'Sent'), ('failed', 'Failed'), ('no_contact', 'Not sent: nobody to email')], default='claimed', max_length=10),
        ),
        migrations.CreateModel(
            name='TrustEmail',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('status', models.CharField(choices=[('queued', 'Queued'), ('sending', 'Sending'), ('awaiting_retry', 'Waiting to try again'), ('delivered', 'Delivered'), ('sent', 'Sent'), ('temporary_failure', 'Not delivered (temporary failure)'), ('permanent_failure', 'Not delivered (permanent failure)'), ('cancelled', 'Cancelled')], default='queued', max_length=20)),
                ('attempts', models.PositiveSmallIntegerField(default=0, help_text='Times a worker claimed it to send.')),
                ('next_attempt_at', models.DateTimeField(blank=True, null=True)),
                ('enqueued_at', models.DateTimeField(blank=True, null=True)),
                ('claimed_at', models.DateTimeField(blank=True, null=True)),
                ('outcome_unknown', models.BooleanField(db_default=False, default=False)),
                ('possibly_duplicated', models.BooleanField(db_default=False, default=False, help_text='Sent again after a worker stopped mid-send, through a channel that cannot be asked whether it had the first copy (SMTP).')),
                ('failure_reason', models.CharField(blank=True, max_length=500)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('sent_at', models.DateTimeField(blank=True, null=True)),
                ('completed_at', models.DateTimeField(blank=True, null=True)),
                ('kind', models.CharField(choices=[('reminder', 'A reminder about a return'), ('reopening', 'Returns reopened')], max_length=10)),
                ('to', models.EmailField(help_text="The address written to (a trust administrator's or the trust's contact).", max_length=254)),
                ('reminder', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='emails', to='trusts.remindersent')),
                ('reopening', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='emails', to='trusts.returnreopening')),
            ],
            options={
                'indexes': [models.Index(condition=models.Q(('status', 'sending')), fields=['claimed_at'], name='trust_email_sending_claimed'), models.Index(condition=models.Q(('status__in', ['queued', 'awaiting_retry'])), fields=['enqueued_at'], name='trust_email_workable_enqueued')],
                'constraints': [models.UniqueConstraint(condition=models.Q(('reminder__isnull', False)), fields=('reminder', 'to'), name='trust_email_once_per_reminder'), models.UniqueConstraint(condition=models.Q(('reopening__isnull', False)), fields=('reopening', 'to'), name='trust_email_once_per_reopening'), models.CheckConstraint(condition=models.Q(models.Q(('kind', 'reminder'), ('reminder__isnull', False), ('reopening__isnull', True)), models.Q(('kind', 'reopening'), ('reminder__isnull', True), ('reopening__isnull', False)), _connector='OR'), name='trust_email_about_one_thing'), models.CheckConstraint(condition=models.Q(('status__in', ['queued', 'sending', 'awaiting_retry', 'delivered', 'sent', 'temporary_failure', 'permanent_failure', 'cancelled'])), name='trust_email_status_valid'), models.CheckConstraint(condition=models.Q(models.Q(('status', 'sending'), _negated=True), ('claimed_at__isnull', False), _connector='OR'), name='trust_email_sending_has_claim'), models.CheckConstraint(condition=models.Q(models.Q(('status', 'awaiting_retry'), _negated=True), ('next_attempt_at__isnull', False), _connector='OR'), name='trust_email_retry_has_time')],
            },
        ),
        migrations.RunPython(close_claims_made_before_the_outbox, migrations.RunPython.noop),
    ]
