import datetime as dt

from django.db import migrations, models


def expire_in_ninety_days(apps, schema_editor):
    # Tokens made before expiry existed get the default lifetime from their creation.
    ApiToken = apps.get_model("trusts", "ApiToken")
    ApiToken.objects.filter(expires_at__isnull=True).update(
        expires_at=models.F("created_at") + dt.timedelta(days=90))


class Migration(migrations.Migration):
    dependencies = [("trusts", "0013_i14_security_epoch")]

    operations = [
        migrations.AddField(model_name="apitoken", name="expires_at", field=models.DateTimeField(null=True)),
        migrations.RunPython(expire_in_ninety_days, migrations.RunPython.noop),
        migrations.AlterField(model_name="apitoken", name="expires_at", field=models.DateTimeField()),
    ]
