"""Signed-in pages and downloads are `Cache-Control: no-store` (strikeops/middleware.py); bidi
overrides and invisible characters are removed from public notice text (trusts/text.py)."""

from __future__ import annotations

import pytest

from notices.forms.notices import WithdrawForm
from trusts.text import strip_invisible


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/messages/", "/messages/RWE/", "/account/", "/"])
def test_signed_in_pages_are_no_store(client, chris, rwe, path: str) -> None:
    client.force_login(chris)
    response = client.get(path, follow=True)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


@pytest.mark.django_db
def test_an_anonymous_public_page_is_not_forced_to_no_store(client) -> None:
    response = client.get("/accessibility/")
    assert "no-store" not in response.get("Cache-Control", "")


def test_bidi_overrides_and_zero_width_characters_are_stripped() -> None:
    typed = "Clinic \u202eNESOLC\u202c today\u200b\u2066 x\u2069\ufeff\x00\nline two\tend"
    assert strip_invisible(typed) == "Clinic NESOLC today x\nline two\tend"


def test_public_text_fields_strip_them_as_they_arrive() -> None:
    form = WithdrawForm(data={"reason": "Strike \u202eotni\u202c called off"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["reason"] == "Strike otni called off"
