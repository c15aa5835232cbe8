from __future__ import annotations

from pathlib import Path

from django.core.management.base import CommandParser

from trusts.management.commands._base import CsvImportCommand
from trusts.models import ReturnSource
from trusts.services.returns_import import IMPORT_COLUMNS, OPTIONAL_COLUMNS, returns_import
from trusts.tabular import RowError, TableError, iter_table


class Command(CsvImportCommand):
    help = ("Submit daily returns from a CSV or XLSX file (columns: " + ",".join(IMPORT_COLUMNS) + "). "
            "Runs with national authority: past and locked actions may be loaded. All-or-nothing.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="A UTF-8 CSV (.csv) or Excel workbook (.xlsx) with a header row.")
        parser.add_argument("--strict", action="store_true", help="Treat warnings (unusual figures) as errors.")

    def handle(self, *args: object, **options: object) -> None:
        path = str(options["file"])

        def warn(warning: RowError) -> None:
            # Printed as they come (once the returns are saved), never all held: a file may raise many.
            self.stdout.write(f"{path}: warning: {warning}")

        with self.open_file(path) as stream:
            try:
                rows = iter_table(stream, path, required=IMPORT_COLUMNS, optional=OPTIONAL_COLUMNS)
                result = returns_import(
                    rows=rows, source=ReturnSource.COMMAND, strict=bool(options["strict"]), authority="national",
                    reason=f"Imported by the import_returns command from {Path(path).name}", on_warning=warn,
                )
            except TableError as error:
                self.fail(path, error)
        self.stdout.write(f"{result.created} submitted, {result.revised} revised, {result.unchanged} unchanged"
                          + (f", {result.skipped} with no figures skipped" if result.skipped else "")
                          + (f", {result.warning_count} warning(s)." if result.warning_count else "."))
