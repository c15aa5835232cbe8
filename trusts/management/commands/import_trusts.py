from __future__ import annotations

from trusts.management.commands._base import CsvImportCommand
from trusts.services.organisations import REQUIRED_TRUST_COLUMNS, TRUST_COLUMNS, trusts_import
from trusts.tabular import TableError, iter_csv


class Command(CsvImportCommand):
    help = "Create or update trusts (and their ICBs) from a CSV in the layout of trusts/data/trusts.csv."

    def handle(self, *args: object, **options: object) -> None:
        path = str(options["file"])
        with self.open_file(path) as stream:
            try:
                optional = [c for c in TRUST_COLUMNS if c not in REQUIRED_TRUST_COLUMNS]
                result = trusts_import(rows=iter_csv(stream, required=TRUST_COLUMNS, optional=optional))
            except TableError as error:
                self.fail(path, error)
        self.stdout.write(f"{result.created} created, {result.updated} updated, {result.unchanged} unchanged.")
