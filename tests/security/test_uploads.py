"""Upload limits: a file past UPLOAD_MAX_BYTES is never stored whole and gets a clear message."""

from __future__ import annotations

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory, override_settings
from django.utils.datastructures import MultiValueDict

from trusts.uploads import OversizedUpload, validate_upload


class UploadForm(forms.Form):
    file = forms.FileField(validators=[validate_upload],
                           error_messages={"required": "Select a CSV or XLSX file"})


def _posted(name: str, content: bytes):
    request = RequestFactory().post("/upload/", {"file": SimpleUploadedFile(name, content, "text/csv")})
    return request.FILES["file"]


@override_settings(UPLOAD_MAX_BYTES=2048)
def test_a_file_over_the_limit_is_not_kept_and_is_refused_with_the_limit_in_the_message() -> None:
    upload = _posted("patients.csv", b"x" * 300_000)
    assert isinstance(upload, OversizedUpload)
    assert upload.read() == b""  # nothing past the limit was stored
    assert upload.size is not None and upload.size > 2048
    form = UploadForm(files=MultiValueDict({"file": [upload]}))
    assert not form.is_valid()
    assert form.errors["file"] == ["The selected file must be smaller than 2KB"]


def test_the_default_limit_is_20mb_and_reads_well() -> None:
    big = SimpleUploadedFile("a.csv", b"")
    big.size = 20 * 1024 * 1024 + 1
    with pytest.raises(ValidationError) as error:
        validate_upload(big)
    assert error.value.messages == ["The selected file must be smaller than 20MB"]


@override_settings(UPLOAD_MAX_BYTES=2048)
def test_a_file_at_the_limit_is_kept_whole() -> None:
    upload = _posted("returns.csv", b"y" * 2048)
    assert not isinstance(upload, OversizedUpload)
    assert upload.read() == b"y" * 2048
    validate_upload(upload)


@pytest.mark.parametrize(("name", "content", "message"), [
    ("empty.csv", b"", "The selected file is empty"),
    ("list.pdf", b"%PDF", "The selected file must be a CSV or XLSX"),
    ("list.csv.exe", b"MZ", "The selected file must be a CSV or XLSX"),
    ("noextension", b"a,b", "The selected file must be a CSV or XLSX"),
])
def test_empty_files_and_other_types_are_refused(name: str, content: bytes, message: str) -> None:
    with pytest.raises(ValidationError) as error:
        validate_upload(SimpleUploadedFile(name, content))
    assert error.value.messages == [message]


def test_accepted_files_pass_and_other_extensions_can_be_allowed() -> None:
    validate_upload(SimpleUploadedFile("Recipients.XLSX", b"PK"))
    validate_upload(SimpleUploadedFile("notes.txt", b"hi"), extensions=(".txt",))


def test_request_bodies_and_fields_are_limited() -> None:
    from django.conf import settings

    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE == 2_621_440
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE == 2_621_440
    assert settings.FILE_UPLOAD_HANDLERS[0] == "trusts.uploads.SizeLimitUploadHandler"
