from __future__ import annotations

from trusts.management.commands._base import CsvImportCommand
from trusts.services.actions import ACTION_COLUMNS, OPTIONAL_ACTION_COLUMNS, actions_import
from trusts.tabular import TableError, iter_csv


class Command(CsvImportCommand):
    help = (
        "Create or update industrial actions (by slug) from a CSV with the columns "
        "slug,name,staff_group,unions,windows,affected (and optionally hard_close). "
        "Windows are START/END pairs in UK local time separated by ';'. All-or-nothing."
    )

    def handle(self, *args: object, **options: object) -> None:
        path = str(options["file"])
        with self.open_file(path) as stream:
            try:
                result = actions_import(
                    rows=iter_csv(stream, required=ACTION_COLUMNS, optional=OPTIONAL_ACTION_COLUMNS))
            except TableError as error:
                self.fail(path, error)
        self.stdout.write(f"{result.created} created, {result.updated} updated, {result.unchanged} unchanged.")
