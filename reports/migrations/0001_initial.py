"""Release and ReturnRollup, moved from the trusts app with their tables unchanged."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('trusts', '0018_i17_reports_app_models'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    # State only: the tables exist since trusts' migrations 0007 (releases) and 0009 (rollups and their
    # triggers) and keep their names (db_table); trusts' 0018 removed the models from its own state.
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Release',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('number', models.PositiveIntegerField(help_text="1 for an action's first release, then 2, 3, ...")),
                        ('published_at', models.DateTimeField()),
                        ('figures', models.JSONField()),
                        ('changes_since_previous', models.JSONField(blank=True, default=dict)),
                        ('last_revision_id', models.PositiveBigIntegerField(default=0)),
                        ('note', models.TextField(blank=True, default='')),
                        ('incomplete_reason', models.TextField(blank=True, default='')),
                        ('coverage_threshold', models.PositiveSmallIntegerField(default=95, help_text='The RELEASE_COVERAGE_THRESHOLD (percent) in force when it was published.')),
                        ('action', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='releases', to='trusts.industrialaction')),
                        ('published_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'trusts_release',
                        'ordering': ['action', '-number'],
                        'constraints': [models.UniqueConstraint(fields=('action', 'number'), name='release_number_unique_per_action'), models.CheckConstraint(condition=models.Q(('number__gte', 1)), name='release_number_positive'), models.CheckConstraint(condition=models.Q(('coverage_threshold__lte', 100)), name='release_coverage_threshold_percent')],
                    },
                ),
                migrations.CreateModel(
                    name='ReturnRollup',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('date', models.DateField()),
                        ('staff_absent', models.BigIntegerField(default=0)),
                        ('staff_due', models.BigIntegerField(default=0)),
                        ('absent_with_due', models.BigIntegerField(default=0, help_text='Staff absent, over returns that give staff due.')),
                        ('workforce_returns', models.BigIntegerField(default=0, help_text='Returns that give staff due.')),
                        ('elective_rescheduled', models.BigIntegerField(default=0)),
                        ('outpatient_rescheduled', models.BigIntegerField(default=0)),
                        ('community_rescheduled', models.BigIntegerField(default=0)),
                        ('mental_health_rescheduled', models.BigIntegerField(default=0)),
                        ('elective_planned', models.BigIntegerField(default=0)),
                        ('outpatient_planned', models.BigIntegerField(default=0)),
                        ('elective_planned_rescheduled', models.BigIntegerField(default=0, help_text='Elective rescheduled, over returns that give elective planned.')),
                        ('outpatient_planned_rescheduled', models.BigIntegerField(default=0, help_text='Outpatient rescheduled, over returns that give outpatient planned.')),
                        ('returns', models.BigIntegerField(default=0, help_text='Submitted returns.')),
                        ('nil_returns', models.BigIntegerField(default=0)),
                        ('late_returns', models.BigIntegerField(default=0)),
                        ('action', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='trusts.industrialaction')),
                    ],
                    options={
                        'db_table': 'trusts_returnrollup',
                        'constraints': [models.UniqueConstraint(fields=('action', 'date'), name='rollup_unique_per_action_day')],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
