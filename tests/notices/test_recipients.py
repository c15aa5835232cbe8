"""Checking recipient files: one test per rule, each error with its line and column."""

from __future__ import annotations

import io

import pytest
from django.test import override_settings
from openpyxl import Workbook

from notices.models import Channel, MessageTemplate
from notices.services.recipients import nhs_number_is_valid, normalise_uk_mobile, recipients_check

pytestmark = pytest.mark.django_db


def make_template(channel: str = Channel.SMS, body: str = "Dear ((name)), ((trust_name)) moved ((appointment date))",
                  columns: tuple[str, ...] = ("name", "appointment_date"), subject: str = "") -> MessageTemplate:
    if channel != Channel.SMS and not subject:
        subject = "About your appointment"
    return MessageTemplate.objects.create(trust=None, name=f"t-{channel}-{MessageTemplate.objects.count()}",
                                          channel=channel, subject=subject, body=body,
                                          recipient_columns=list(columns))


def check(template: MessageTemplate, text: str, filename: str = "list.csv"):
    data = text.encode("utf-8")
    return recipients_check(template=template, stream=io.BytesIO(data), filename=filename, size=len(data))


def errors(result) -> list[tuple[int, str, str]]:
    return [(e.line, e.column, e.message) for e in result.errors]


def test_a_clean_sms_file_gives_rows_for_campaign_create_with_numbers_in_e164() -> None:
    result = check(make_template(), "phone number,name,appointment date\n"
                                    "07911 123456,Ann,12 April\n+44 7911 123457,Bob,13 April\n")
    assert result.ok and result.errors == []
    assert result.rows == [
        {"line": 2, "email": "", "phone": "+447911123456", "nhs_number": "", "address_lines": [],
         "personalisation": {"name": "Ann", "appointment_date": "12 April"}},
        {"line": 3, "email": "", "phone": "+447911123457", "nhs_number": "", "address_lines": [],
         "personalisation": {"name": "Bob", "appointment_date": "13 April"}},
    ]


def test_headers_match_placeholders_ignoring_case_spaces_and_underscores() -> None:
    result = check(make_template(), "Phone Number,NAME,appointment_date\n07911123456,Ann,12 April\n")
    assert result.ok
    assert result.rows[0]["personalisation"] == {"name": "Ann", "appointment_date": "12 April"}


def test_columns_the_template_does_not_declare_are_not_kept() -> None:
    result = check(make_template(), "phone number,name,appointment date,diagnosis\n07911123456,Ann,12 April,x\n")
    assert result.ok
    assert "diagnosis" not in result.rows[0]["personalisation"]


def test_missing_contact_column_is_a_line_1_error() -> None:
    result = check(make_template(), "mobile,name,appointment date\n07911123456,Ann,12 April\n")
    assert not result.ok
    assert errors(result) == [(1, "", "missing column: phone number")]


def test_missing_placeholder_column_is_a_line_1_error_naming_it() -> None:
    result = check(make_template(), "phone number,name\n07911123456,Ann\n")
    assert errors(result) == [(1, "", "The template needs a column the file does not have: appointment date")]


def test_bad_and_foreign_and_landline_numbers_are_errors_with_their_lines() -> None:
    result = check(make_template(), "phone number,name,appointment date\n"
                                    "07911123456,Ann,1 May\n"
                                    "0791112345,Bob,1 May\n"
                                    "+33 6 12 34 56 78,Cy,1 May\n"
                                    "0116 258 5000,Di,1 May\n"
                                    "not a number,Ed,1 May\n"
                                    ",Flo,1 May\n")
    assert not result.ok and result.rows == []
    assert [(line, column) for line, column, _ in errors(result)] == [
        (3, "phone number"), (4, "phone number"), (5, "phone number"), (6, "phone number"), (7, "phone number")]
    messages = [m for _, _, m in errors(result)]
    assert "not a valid UK phone number" in messages[0]
    assert "international" in messages[1]
    assert "landlines" in messages[2]
    assert messages[4] == "Enter a phone number"


def test_email_syntax_is_checked_without_dns_and_normalised() -> None:
    template = make_template(Channel.EMAIL, body="Dear ((name))", columns=("name",))
    result = check(template, "email address,name\nAnn@Example.NHS.uk,Ann\nann@,Bob\nno-at-sign,Cy\n")
    assert errors(result) == [
        (3, "email address", "Email address is not a valid email address, like name@example.com"),
        (4, "email address", "Email address is not a valid email address, like name@example.com"),
    ]
    clean = check(template, "email address,name\nAnn@Example.NHS.uk,Ann\n")
    assert clean.rows[0]["email"] == "Ann@example.nhs.uk"


def test_nhs_number_checksum_when_the_column_is_present() -> None:
    template = make_template(Channel.EMAIL, body="Dear ((name))", columns=("name",))
    result = check(template, "email address,name,nhs number\na@example.com,Ann,943 476 5919\n"
                             "b@example.com,Bob,9434765918\nc@example.com,Cy,12345\nd@example.com,Di,\n")
    assert [(line, column) for line, column, _ in errors(result)] == [(3, "nhs number"), (4, "nhs number")]
    assert "Modulus 11" in result.errors[0].message


def test_nhs_number_stored_as_digits() -> None:
    template = make_template(Channel.EMAIL, body="Dear ((name))", columns=("name",))
    result = check(template, "email address,name,nhs number\na@example.com,Ann,943-476-5919\n")
    assert result.rows[0]["nhs_number"] == "9434765919"


@pytest.mark.parametrize(("number", "valid"), [
    ("9434765919", True), ("4010232137", True), ("9434765918", False), ("943476591", False),
    ("94347659190", False), ("abcdefghij", False),
    # 000000006x: the weighted sum is 12 and 11 - 12 % 11 = 10, so no check digit makes it valid.
    ("0000000060", False),
])
def test_modulus_11(number: str, valid: bool) -> None:
    assert nhs_number_is_valid(number) is valid


def test_every_placeholder_value_must_be_present_on_every_row() -> None:
    result = check(make_template(), "phone number,name,appointment date\n07911123456,,12 April\n07911123457,Bob,\n")
    assert errors(result) == [
        (2, "name", "Enter the name: the template uses ((name))"),
        (3, "appointment date", "Enter the appointment date: the template uses ((appointment_date))"),
    ]


def test_duplicate_recipients_are_flagged_with_the_first_line() -> None:
    result = check(make_template(), "phone number,name,appointment date\n07911123456,Ann,1 May\n"
                                    "07911 123 457,Bob,1 May\n+447911123456,Ann,1 May\n")
    assert errors(result) == [
        (4, "phone number", "The same phone number is on line 2: each patient should be on the list once")]


def test_letters_need_two_address_lines_and_a_real_postcode() -> None:
    template = make_template(Channel.LETTER, body="Dear ((name))", columns=("name",))
    header = "name,address line 1,address line 2,address line 3,postcode\n"
    result = check(template, header + "Ann,1 Infirmary Sq,Leicester,,LE1 5WW\n"
                                      "Bob,1 Infirmary Sq,,,LE1 5WW\n"
                                      "Cy,2 Infirmary Sq,Leicester,,12345\n"
                                      "Di,3 Infirmary Sq,Leicester,,\n")
    assert [(line, column) for line, column, _ in errors(result)] == [
        (3, "address line 2"), (4, "postcode"), (5, "postcode")]
    clean = check(template, header + "Ann,1 Infirmary Sq,Leicester,,le1  5ww\n")
    assert clean.rows[0]["address_lines"] == ["1 Infirmary Sq", "Leicester", "LE1 5WW"]


def test_every_row_is_checked_and_a_file_with_errors_gives_no_rows() -> None:
    body = "phone number,name,appointment date\n" + "".join(
        f"0791112{n:04d},P{n},1 May\n" for n in range(50)) + "bad,X,1 May\n"
    result = check(make_template(), body)
    assert result.rows == [] and result.row_count == 51
    assert errors(result)[0][0] == 52


def test_an_empty_file_and_a_header_only_file_are_errors() -> None:
    assert errors(check(make_template(), "")) == [(1, "", "the file is empty: it needs a header row")]
    assert errors(check(make_template(), "phone number,name,appointment date\n")) == [
        (2, "", "The file has no recipients: add one row per patient below the header")]


def test_other_file_types_are_refused() -> None:
    assert errors(check(make_template(), "x", filename="list.pdf")) == [
        (0, "", "The selected file must be a CSV or an Excel (.xlsx) file")]


@override_settings(NOTICES_RECIPIENTS_MAX_ROWS=3)
def test_row_limit() -> None:
    body = "phone number,name,appointment date\n" + "".join(f"0791112{n:04d},P,1 May\n" for n in range(4))
    result = check(make_template(), body)
    assert errors(result) == [(5, "", "The file has more than 3 recipients: split it into smaller files")]
    assert result.rows == []


@override_settings(NOTICES_RECIPIENTS_MAX_BYTES=1024 * 1024)
def test_size_limit() -> None:
    result = recipients_check(template=make_template(), stream=io.BytesIO(b""), filename="a.csv", size=2 * 1024 * 1024)
    assert errors(result) == [(0, "", "The file must be smaller than 1 MB")]


def test_unreadable_lines_are_reported() -> None:
    result = check(make_template(), "phone number,name,appointment date\n07911123456,Ann,1 May,extra\n")
    assert errors(result) == [(2, "", "This line cannot be read: has 4 cells but the header has 3")]


def test_xlsx_files_are_read_the_same_way() -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Phone number", "Name", "Appointment date"])
    sheet.append(["07911123456", "Ann", "12 April"])
    sheet.append([7911123457, "Bob", ""])
    buffer = io.BytesIO()
    workbook.save(buffer)
    data = buffer.getvalue()
    result = recipients_check(template=make_template(), stream=io.BytesIO(data), filename="list.xlsx", size=len(data))
    # A number typed without its leading zero is still a UK mobile; the missing date is line 3's error.
    assert errors(result) == [(3, "appointment date", "Enter the appointment date: the template uses "
                                                      "((appointment_date))")]


def test_uk_mobile_normalisation_accepts_the_ways_people_write_numbers() -> None:
    for written in ("07911 123456", "07911-123-456", "+44 (0)7911 123456", "447911123456", "+447911123456"):
        assert normalise_uk_mobile(written) == "+447911123456"


def test_line_breaks_nul_and_control_characters_are_refused_with_line_column_and_position() -> None:
    template = make_template(Channel.EMAIL, body="Dear ((name)), see you ((appointment date))")
    result = check(template, 'email address,name,appointment date\n'
                             'a@example.com,Ann,12 April\n'
                             'b@example.com,"Bob\nSmith",12 April\n'
                             'c@example.com,Cy\x00,12 April\n'
                             'd@example.com,Di,12\x07 April\n'
                             'e@example.com,Ed\u2028Jones,12 April\n'
                             'f@example.com,Flo\tMay,12 April\n')
    assert result.rows == []
    # The quoted cell spans lines 3 and 4 of the file; the reader numbers a record by its last line.
    assert errors(result) == [
        (4, "name", "Name has a line break at character 4: remove it and upload the file again"),
        (5, "name", "Name has a NUL character (code 0) at character 3: remove it and upload the file again"),
        (6, "appointment date", "Appointment date has a control character (code 7) at character 3: remove it and "
                                "upload the file again"),
        (7, "name", "Name has a line break at character 3: remove it and upload the file again"),
        (8, "name", "Name has a tab at character 4: remove it and upload the file again"),
    ]


def test_a_line_break_in_an_xlsx_cell_is_refused_too() -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["phone number", "name", "appointment date"])
    sheet.append(["07911123456", "Ann\nLee", "1 May"])  # Alt+Enter in Excel
    buffer = io.BytesIO()
    book.save(buffer)
    data = buffer.getvalue()
    result = recipients_check(template=make_template(), stream=io.BytesIO(data), filename="list.xlsx", size=len(data))
    assert errors(result) == [(2, "name", "Name has a line break at character 4: remove it and upload the file again")]
