"""Load the seven NHS England regions (reference data shipped in trusts/data/).

Regions are the fixed frame that trust imports are checked against: a trust row naming an
unknown region is an error, so regions must exist before any import.
"""

import csv
from pathlib import Path

from django.db import migrations

REGIONS_CSV = Path(__file__).resolve().parent.parent / "data" / "nhs_regions.csv"


def load_regions(apps, schema_editor):
    Region = apps.get_model("trusts", "Region")
    with REGIONS_CSV.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            Region.objects.update_or_create(code=row["region_code"], defaults={"name": row["region_name"]})


class Migration(migrations.Migration):
    dependencies = [("trusts", "0001_initial")]
    operations = [migrations.RunPython(load_regions, migrations.RunPython.noop)]
