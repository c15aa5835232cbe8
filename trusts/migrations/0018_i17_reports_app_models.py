"""The reports app takes over Release and ReturnRollup: state only, no table changes."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('trusts', '0017_i17_figure_help_text'),
    ]

    # Release and ReturnRollup moved to the reports app: only Django's picture of them moves. Their
    # tables (trusts_release, trusts_returnrollup), rows, constraints and the rollup triggers of 0009
    # stay as they are; reports' 0001_initial takes the models over with the same db_table.
    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='returnrollup',
                    name='action',
                ),
                migrations.DeleteModel(
                    name='Release',
                ),
                migrations.DeleteModel(
                    name='ReturnRollup',
                ),
            ],
            database_operations=[],
        ),
    ]
