"""Text message length and fragments (GSM 03.38 and UCS-2), as the template pages show them."""

from __future__ import annotations

import pytest

from notices.sms import sms_length


@pytest.mark.parametrize(("text", "characters", "fragments"), [
    ("", 0, 0),
    ("a", 1, 1),
    ("a" * 160, 160, 1),
    ("a" * 161, 161, 2),
    ("a" * 306, 306, 2),
    ("a" * 307, 307, 3),
    ("a" * 459, 459, 3),
    ("a" * 460, 460, 4),
])
def test_gsm7_single_part_is_160_and_each_part_of_a_long_message_153(text: str, characters: int,
                                                                        fragments: int) -> None:
    length = sms_length(text)
    assert (length.characters, length.fragments, length.encoding) == (characters, fragments, "GSM-7")


def test_extended_characters_count_twice() -> None:
    assert sms_length("€").characters == 2
    assert sms_length("[ref]").characters == 7
    # 159 plain + one extended = 161 septets: two parts.
    assert sms_length("a" * 159 + "{").fragments == 2
    assert sms_length("a" * 158 + "{").fragments == 1


def test_gsm_accented_letters_stay_gsm7_but_others_do_not() -> None:
    length = sms_length("Café £5 à Zürich, Ñandù ¿¡")
    assert length.encoding == "GSM-7"
    assert sms_length("Dear Ana, your appointment on 12/04/2023 @ 09:30").encoding == "GSM-7"
    assert sms_length("Ñandú").non_gsm == ("ú",)  # ú is not in the GSM alphabet (ù is)


@pytest.mark.parametrize(("text", "characters", "fragments"), [
    ("ł" * 70, 70, 1),
    ("ł" * 71, 71, 2),
    ("ł" * 134, 134, 2),
    ("ł" * 135, 135, 3),
])
def test_one_character_outside_gsm_switches_to_ucs2_70_single_67_per_part(text: str, characters: int,
                                                                          fragments: int) -> None:
    length = sms_length(text)
    assert (length.characters, length.fragments, length.encoding) == (characters, fragments, "UCS-2")


def test_ucs2_names_the_characters_that_forced_it_and_counts_extended_once() -> None:
    length = sms_length("Dear Łukasz, your \u2018appointment\u2019 [ref] \u2018x\u2019")
    assert length.encoding == "UCS-2"
    assert length.non_gsm == ("Ł", "\u2018", "\u2019")
    # In UCS-2, [ and ] are ordinary characters.
    assert length.characters == len("Dear Łukasz, your \u2018appointment\u2019 [ref] \u2018x\u2019")


def test_an_emoji_takes_two_ucs2_units() -> None:
    assert sms_length("🙂").characters == 2
    assert sms_length("🙂" * 35).fragments == 1
    assert sms_length("🙂" * 35 + "a").fragments == 2


def test_per_fragment_limit_reported() -> None:
    assert sms_length("a").per_fragment == 160
    assert sms_length("a" * 200).per_fragment == 153
    assert sms_length("ł").per_fragment == 70
    assert sms_length("ł" * 100).per_fragment == 67
