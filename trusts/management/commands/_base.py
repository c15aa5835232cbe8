"""Shared behaviour of the CSV commands: read UTF-8 CSV, print every error with its line, exit 1."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from django.core.management.base import BaseCommand, CommandError, CommandParser

from trusts.tabular import TableError


class CsvImportCommand(BaseCommand):
    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="Path to a UTF-8 CSV file with a header row.")

    def open_file(self, path: str) -> BinaryIO:
        file_path = Path(path)
        if not file_path.is_file():
            raise CommandError(f"{path}: no such file")
        return file_path.open("rb")

    def fail(self, path: str, error: TableError) -> None:
        for row_error in error.errors:
            self.stderr.write(f"{path}: {row_error}")
        raise CommandError(f"{len(error.errors)} error(s); nothing was saved.", returncode=1)
