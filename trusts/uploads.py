"""Checks for every uploaded file (recipient lists, returns, imports), with NHS.UK error messages.

Two parts:
- `SizeLimitUploadHandler` (first in FILE_UPLOAD_HANDLERS) stops storing a file as soon as it
  passes UPLOAD_MAX_BYTES, so a huge upload never fills the disk; the view gets a small stand-in
  whose `.size` says how much arrived.
- `validate_upload(file)` turns that, an empty file or a wrong type into a ValidationError a form
  can show: use it as a FileField validator or call it in `clean_<field>`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from django.core.files.uploadhandler import FileUploadHandler

TABLE_EXTENSIONS = (".csv", ".xlsx")


def _readable_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.3g}MB"
    return f"{size / 1024:.3g}KB"


class OversizedUpload(SimpleUploadedFile):
    """Stands in for a file that was too large to keep: no content, only its name and the number
    of bytes that arrived (more than the limit)."""

    too_large = True

    def __init__(self, name: str, content_type: str | None, received: int) -> None:
        super().__init__(name, b"", content_type or "application/octet-stream")
        self.size = received


class SizeLimitUploadHandler(FileUploadHandler):
    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.received += len(raw_data)
        # Returning None keeps the chunk from the handlers after this one (the temporary file).
        return raw_data if self.received <= settings.UPLOAD_MAX_BYTES else None

    def file_complete(self, file_size: int) -> UploadedFile[bytes] | None:
        if self.received <= settings.UPLOAD_MAX_BYTES:
            return None  # let the next handler return the stored file
        return OversizedUpload(self.file_name or "upload", self.content_type, self.received)


def validate_upload(file: UploadedFile[bytes], *, extensions: tuple[str, ...] = TABLE_EXTENSIONS,
                    max_bytes: int | None = None) -> None:
    """Raise ValidationError with an NHS.UK-style message for a file that is too big, empty or of
    the wrong type. Its contents are checked later, row by row (trusts.tabular)."""
    limit = settings.UPLOAD_MAX_BYTES if max_bytes is None else max_bytes
    if getattr(file, "too_large", False) or (file.size or 0) > limit:
        raise ValidationError(f"The selected file must be smaller than {_readable_size(limit)}", code="too_large")
    if not file.size:
        raise ValidationError("The selected file is empty", code="empty")
    if Path(file.name or "").suffix.lower() not in extensions:
        kinds = " or ".join(ext.lstrip(".").upper() for ext in extensions)
        raise ValidationError(f"The selected file must be a {kinds}", code="wrong_type")
