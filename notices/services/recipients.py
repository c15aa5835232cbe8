"""Checking an uploaded recipient list (CSV or XLSX) for a campaign, row by row.

The columns follow GOV.UK Notify's bulk upload: `email address` for email, `phone number` for text
messages, `address line 1` to `address line 7` and `postcode` for letters, plus one column per
personalisation placeholder (`name`, `appointment date`...). Headers match placeholders ignoring case,
spaces and underscores. An optional `nhs number` column is checked (Modulus 11) when present.

Every row is checked and every problem reported with its line and column; the result is either the
complete list of clean rows or errors, never a part: nothing is created from a file with errors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import BinaryIO

import phonenumbers
from django.conf import settings
from email_validator import EmailNotValidError, validate_email

from notices.models import Channel, MessageTemplate
from notices.placeholders import normalise
from notices.services.templates import needed_columns
from trusts.tabular import Row, RowError, TableError, iter_table
from trusts.text import strip_invisible

EMAIL_COLUMN = "email address"
PHONE_COLUMN = "phone number"
NHS_NUMBER_COLUMN = "nhs number"
POSTCODE_COLUMN = "postcode"
ADDRESS_COLUMNS = tuple(f"address line {n}" for n in range(1, 8))
CONTACT_HEADERS = (EMAIL_COLUMN, PHONE_COLUMN, NHS_NUMBER_COLUMN, POSTCODE_COLUMN, *ADDRESS_COLUMNS)

# A campaign for a large acute trust's strike is tens of thousands of patients; the limits stop a
# wrong file (a whole PAS extract) from being taken for a recipient list. Both are settings.
DEFAULT_MAX_ROWS = 100_000
DEFAULT_MAX_BYTES = 10 * 1024 * 1024

UK_POSTCODE = re.compile(r"^(GIR ?0AA|[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2})$")
CELL_MAX_LENGTH = 500
# Cells go into email subjects, SMS and letters: a line break in a subject is a header injection
# (Django refuses it with BadHeaderError mid-campaign), a NUL or other control character corrupts
# an SMS or a letter. C0 and C1 controls, DEL, and Unicode's own line and paragraph separators.
UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def max_rows() -> int:
    return int(getattr(settings, "NOTICES_RECIPIENTS_MAX_ROWS", DEFAULT_MAX_ROWS))


def max_bytes() -> int:
    return int(getattr(settings, "NOTICES_RECIPIENTS_MAX_BYTES", DEFAULT_MAX_BYTES))


@dataclass
class RecipientCheck:
    """The outcome of checking a file: `rows` for campaign_create when `errors` is empty."""

    rows: list[dict[str, object]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    row_count: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)


def nhs_number_is_valid(value: str) -> bool:
    """Modulus 11: weights 10..2 on the first nine digits; 11 - remainder is the check digit
    (11 means 0, 10 means the number cannot be valid)."""
    digits = re.sub(r"[\s-]", "", value)
    if not re.fullmatch(r"\d{10}", digits):
        return False
    total = sum(int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def normalise_uk_mobile(value: str) -> str:
    """'07700 900123', '+44 7700 900123', '447700900123' -> '+447700900123'. Raises ValueError."""
    try:
        number = phonenumbers.parse(value, "GB")
    except phonenumbers.NumberParseException:
        raise ValueError("Phone number is not a valid phone number") from None
    if number.country_code != 44:
        raise ValueError("Phone number must be a UK mobile number (international numbers are not supported)")
    if not phonenumbers.is_valid_number(number):
        raise ValueError("Phone number is not a valid UK phone number: check it has 11 digits and starts 07")
    if phonenumbers.number_type(number) != phonenumbers.PhoneNumberType.MOBILE:
        raise ValueError("Phone number must be a UK mobile number (starting 07): text messages cannot go to "
                         "landlines")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(value: str) -> str:
    """Syntax only: no DNS look-ups while a file is checked (they are slow and leak the domains)."""
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        raise ValueError("Email address is not a valid email address, like name@example.com") from None


def _column_label(name: str) -> str:
    return name.replace("_", " ")


def required_contact_columns(channel: str) -> list[str]:
    if channel == Channel.EMAIL:
        return [EMAIL_COLUMN]
    if channel == Channel.SMS:
        return [PHONE_COLUMN]
    return [ADDRESS_COLUMNS[0], POSTCODE_COLUMN]


def recipients_check(*, template: MessageTemplate, stream: BinaryIO, filename: str, size: int | None = None
                     ) -> RecipientCheck:
    """Check every row of the file against the template's channel and placeholders."""
    result = RecipientCheck()
    if size is not None and size > max_bytes():
        result.errors.append(RowError(0, f"The file must be smaller than {max_bytes() // (1024 * 1024)} MB"))
        return result
    if not filename.lower().endswith((".csv", ".xlsx")):
        result.errors.append(RowError(0, "The selected file must be a CSV or an Excel (.xlsx) file"))
        return result

    channel = template.channel
    contact_required = required_contact_columns(channel)
    personalisation = needed_columns(template)
    declared = [normalise(c) for c in template.recipient_columns]
    limit = max_rows()
    seen: dict[str, int] = {}
    header_checked = False
    try:
        for row in iter_table(stream, filename, required=contact_required,
                              optional=[c for c in CONTACT_HEADERS if c not in contact_required]):
            if not header_checked and "__error__" not in row.values:
                header_checked = True
                columns = {normalise(k) for k in row.values}
                missing = [c for c in personalisation if c not in columns]
                if missing:
                    result.errors.append(RowError(1, "The template needs "
                                                  + ("these columns" if len(missing) > 1 else "a column")
                                                  + " the file does not have: "
                                                  + ", ".join(_column_label(c) for c in missing)))
                    return result
            result.row_count += 1
            if result.row_count > limit:
                result.errors.append(RowError(row.line, f"The file has more than {limit:,} recipients: split it "
                                                        "into smaller files"))
                result.rows = []
                return result
            checked = _check_row(row, channel=channel, personalisation=personalisation, declared=declared,
                                 errors=result.errors)
            if checked is None:
                continue
            key = str(checked.pop("_key"))
            if key in seen:
                what = {Channel.EMAIL.value: "email address", Channel.SMS.value: "phone number"}.get(channel, "address")
                result.errors.append(RowError(row.line, f"The same {what} is on line {seen[key]}: each patient "
                                                        "should be on the list once", _duplicate_column(channel)))
                continue
            seen[key] = row.line
            if not result.errors:
                result.rows.append(checked)
    except TableError as exc:
        result.errors.extend(exc.errors)
    if not result.errors and result.row_count == 0:
        result.errors.append(RowError(2, "The file has no recipients: add one row per patient below the header"))
    if result.errors:
        # All or nothing: a file with any error yields no rows at all.
        result.rows = []
    return result


def _unprintable_label(character: str) -> str:
    if character in "\r\n\x0b\x0c\x85\u2028\u2029":
        return "a line break"
    if character == "\x00":
        return "a NUL character (code 0)"
    if character == "\t":
        return "a tab"
    return f"a control character (code {ord(character)})"


def _duplicate_column(channel: str) -> str:
    return {Channel.EMAIL.value: EMAIL_COLUMN, Channel.SMS.value: PHONE_COLUMN}.get(channel, ADDRESS_COLUMNS[0])


def _check_row(row: Row, *, channel: str, personalisation: list[str], declared: list[str],
               errors: list[RowError]) -> dict[str, object] | None:
    if "__error__" in row.values:
        errors.append(RowError(row.line, f"This line cannot be read: {row.values['__error__']}"))
        return None
    line = row.line
    before = len(errors)
    # NUL and other invisible characters: PostgreSQL refuses NUL in JSON (a 500 whose log would
    # carry the row), and bidi overrides would make a message read differently from its preview.
    values = {normalise(k): strip_invisible(v) for k, v in row.values.items()}
    out: dict[str, object] = {"line": line, "email": "", "phone": "", "nhs_number": "", "address_lines": [],
                              "personalisation": {}}

    raw = {normalise(k): v for k, v in row.values.items()}  # as uploaded, before invisible characters go
    for name, value in values.items():
        if bad := UNPRINTABLE.search(raw[name]):
            errors.append(RowError(line, f"{_column_label(name).capitalize()} has {_unprintable_label(bad.group())} "
                                         f"at character {bad.start() + 1}: remove it and upload the file again",
                                   _column_label(name)))
        elif len(value) > CELL_MAX_LENGTH:
            errors.append(RowError(line, f"{_column_label(name).capitalize()} must be {CELL_MAX_LENGTH} characters "
                                         "or fewer", _column_label(name)))
            values[name] = ""
    if any(UNPRINTABLE.search(value) for value in raw.values()):
        # Checking such a cell further would only add a second, misleading error for it.
        return None

    if channel == Channel.EMAIL:
        if not values.get("email_address"):
            errors.append(RowError(line, "Enter an email address", EMAIL_COLUMN))
        else:
            try:
                out["email"] = normalise_email(values["email_address"])
            except ValueError as exc:
                errors.append(RowError(line, str(exc), EMAIL_COLUMN))
        key = str(out["email"]).lower()
    elif channel == Channel.SMS:
        if not values.get("phone_number"):
            errors.append(RowError(line, "Enter a phone number", PHONE_COLUMN))
        else:
            try:
                out["phone"] = normalise_uk_mobile(values["phone_number"])
            except ValueError as exc:
                errors.append(RowError(line, str(exc), PHONE_COLUMN))
        key = str(out["phone"])
    else:
        lines = [values.get(normalise(c), "") for c in ADDRESS_COLUMNS]
        filled = [v for v in lines if v]
        postcode = " ".join(values.get("postcode", "").upper().split())
        if len(filled) < 2:
            errors.append(RowError(line, "The address must have at least 2 lines before the postcode",
                                   ADDRESS_COLUMNS[0] if not lines[0] else ADDRESS_COLUMNS[1]))
        if not postcode:
            errors.append(RowError(line, "Enter a postcode", POSTCODE_COLUMN))
        elif not UK_POSTCODE.match(postcode):
            errors.append(RowError(line, "Postcode must be a real UK postcode, like LE1 5WW", POSTCODE_COLUMN))
        out["address_lines"] = [*filled, postcode]
        key = "|".join(v.lower() for v in [*filled, postcode.replace(" ", "")])

    if values.get("nhs_number"):
        if nhs_number_is_valid(values["nhs_number"]):
            out["nhs_number"] = re.sub(r"[\s-]", "", values["nhs_number"])
        else:
            errors.append(RowError(line, "NHS number is not valid: it must be 10 digits and pass the NHS number "
                                         "check (Modulus 11)", NHS_NUMBER_COLUMN))

    for name in personalisation:
        if not values.get(name):
            errors.append(RowError(line, f"Enter the {_column_label(name)}: the template uses (({name}))",
                                   _column_label(name)))
    # Keep only what the template may use (data minimisation): undeclared extra columns are dropped.
    out["personalisation"] = {n: values[n] for n in dict.fromkeys([*personalisation, *declared]) if values.get(n)}
    if len(errors) > before:
        return None
    out["_key"] = key
    return out
