"""Hostile and malformed input to the shared readers (trusts.tabular) and the placeholder
renderer (notices.placeholders), with property-based tests (hypothesis)."""

from __future__ import annotations

import contextlib
import csv
import io
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from notices.placeholders import MissingPlaceholders, placeholders_in, render
from trusts.tabular import Row, TableError, iter_csv, iter_table, iter_xlsx

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
REQUIRED = ["ods code", "staff absent"]


def read_csv(data: bytes) -> list[Row]:
    return list(iter_csv(io.BytesIO(data), required=REQUIRED))


# --- CSV --------------------------------------------------------------------------------------

@FAST
@given(st.binary(max_size=2000))
def test_any_bytes_give_rows_or_a_table_error_never_a_crash(data: bytes) -> None:
    try:
        rows = read_csv(b"ods code,staff absent\r\n" + data)
    except TableError as error:
        assert error.errors and all(e.line >= 1 and e.message for e in error.errors)
    else:
        assert all(isinstance(r, Row) and r.line >= 2 for r in rows)


@FAST
@given(st.binary(max_size=500))
def test_any_bytes_as_the_whole_file_never_crash(data: bytes) -> None:
    with contextlib.suppress(TableError):
        read_csv(data)


# Cell text: anything printable, including quotes, commas, newlines, "<script>" and "=cmd|".
cell_text = st.text(st.characters(blacklist_categories=["Cs", "Cc"]) | st.sampled_from(['"', ",", "\n", "\r"]),
                    max_size=20)


@FAST
@given(rows=st.lists(st.tuples(cell_text, cell_text), min_size=1, max_size=15),
       line_ending=st.sampled_from(["\r\n", "\n"]), bom=st.booleans())
def test_written_tables_read_back_with_the_right_line_numbers(rows: list[tuple[str, str]], line_ending: str,
                                                             bom: bool) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=line_ending, quoting=csv.QUOTE_ALL)  # as spreadsheets quote
    writer.writerow(["ODS Code", " Staff  Absent "])  # headers match ignoring case and spacing
    writer.writerows(rows)
    data = ("\ufeff" if bom else "") + buffer.getvalue()
    read = read_csv(data.encode("utf-8"))

    expected = []
    line = 1
    for ods, absent in rows:
        # A spreadsheet's line is the physical line where the record ends.
        line += 1 + sum(value.count("\n") - value.count("\r\n") + value.count("\r") for value in (ods, absent))
        if ods.strip() or absent.strip():
            expected.append((line, {"ods code": ods.strip(), "staff absent": absent.strip()}))
    assert [(r.line, r.values) for r in read] == expected


def test_values_are_text_never_evaluated_or_unescaped() -> None:
    data = (b'ods code,staff absent\n=HYPERLINK("http://x"),+1\n"<script>alert(1)</script>",@SUM(1)\n'
            b'"&lt;b&gt;",-2\n')
    assert [r.values for r in read_csv(data)] == [
        {"ods code": '=HYPERLINK("http://x")', "staff absent": "+1"},
        {"ods code": "<script>alert(1)</script>", "staff absent": "@SUM(1)"},
        {"ods code": "&lt;b&gt;", "staff absent": "-2"},
    ]


@pytest.mark.parametrize("bad_line", [2, 3, 40])
def test_malformed_utf8_is_refused_naming_a_line(bad_line: int) -> None:
    lines = [b"ods code,staff absent"] + [b"RWE,%d" % i for i in range(2, 60)]
    lines[bad_line - 1] = b"R\xffE,1"
    with pytest.raises(TableError) as error:
        read_csv(b"\r\n".join(lines))
    assert [(e.line, e.message) for e in error.value.errors] == [
        (bad_line, "this line is not valid UTF-8 text; save the file as 'CSV UTF-8'")]


def test_malformed_utf8_deep_in_a_large_file_names_its_line() -> None:
    # Far past any decoder's read-ahead block.
    lines = [b"ods code,staff absent"] + [b"RWE,%d" % i for i in range(2, 20_000)]
    lines[15_000 - 1] = b"RWE,\xc3\x28"
    with pytest.raises(TableError) as error:
        read_csv(b"\n".join(lines))
    assert error.value.errors[0].line == 15_000


def test_an_old_mac_file_with_cr_line_endings_is_read_line_by_line() -> None:
    rows = read_csv(b"ods code,staff absent\rRWE,1\rRX1,2\r")
    assert [(r.line, r["ods code"]) for r in rows] == [(2, "RWE"), (3, "RX1")]


def test_bom_crlf_and_blank_lines_are_fine() -> None:
    data = b"\xef\xbb\xbfODS code,Staff absent\r\nRWE,3\r\n\r\n,\r\nRX1,4\r\n"
    assert [(r.line, r.values) for r in read_csv(data)] == [
        (2, {"ods code": "RWE", "staff absent": "3"}), (5, {"ods code": "RX1", "staff absent": "4"})]


def test_latin1_and_utf16_files_get_a_clear_message() -> None:
    for data in ["ods code,staff absent\nRWE,3 café\n".encode("latin-1"),
                 "ods code,staff absent\nRWE,3\n".encode("utf-16")]:
        with pytest.raises(TableError, match="UTF-8"):
            read_csv(data)


def test_a_header_cell_past_the_csv_field_limit_is_a_table_error() -> None:
    with pytest.raises(TableError):
        read_csv(b'"' + b"a" * 200_000 + b'",staff absent\nRWE,1\n')
    with pytest.raises(TableError):
        read_csv(b"ods code,staff absent\nRWE,\"" + b"1" * 200_000 + b"\"\n")


# --- XLSX -------------------------------------------------------------------------------------

def xlsx(rows: list[list[object]]) -> io.BytesIO:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    out.seek(0)
    return out


@FAST
@given(st.binary(max_size=2000))
def test_any_bytes_as_a_workbook_give_a_table_error(data: bytes) -> None:
    with pytest.raises(TableError):
        list(iter_xlsx(io.BytesIO(data), required=REQUIRED))


xlsx_value = (st.text(st.characters(blacklist_categories=["Cs", "Cc"]), max_size=15).filter(
    lambda s: not s.startswith("=")) | st.integers(-10**9, 10**9))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(xlsx_value, xlsx_value), min_size=1, max_size=10))
def test_workbooks_read_back_with_spreadsheet_line_numbers(rows: list[tuple[object, object]]) -> None:
    read = list(iter_xlsx(xlsx([["ODS code", "Staff absent"], *[list(r) for r in rows]]), required=REQUIRED))
    expected = [
        (line, {"ods code": str(a).strip(), "staff absent": str(b).strip()})
        for line, (a, b) in enumerate(rows, start=2) if str(a).strip() or str(b).strip()
    ]
    assert [(r.line, r.values) for r in read] == expected


def test_formula_cells_are_refused_on_their_line_never_evaluated() -> None:
    stream = xlsx([["ods code", "staff absent"], ["RWE", 3], ["RX1", "=1+1"], ["RX2", '=cmd|" /C calc"!A0']])
    rows = list(iter_xlsx(stream, required=REQUIRED))
    assert rows[0].values == {"ods code": "RWE", "staff absent": "3"}
    assert [(r.line, r.values["__error__"]) for r in rows[1:]] == [
        (3, "column staff absent holds a formula; type the value instead"),
        (4, "column staff absent holds a formula; type the value instead"),
    ]


def test_a_zip_bomb_is_refused_before_it_is_inflated() -> None:
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(201):  # 201 MB of zeros: about 200 KB compressed
                member.write(chunk)
    assert bomb.tell() < 1024 * 1024
    bomb.seek(0)
    with pytest.raises(TableError) as error:
        list(iter_table(bomb, "returns.xlsx", required=REQUIRED))
    assert "expands to more than 200 MB" in str(error.value)


def test_a_zip_that_lies_about_its_size_is_refused() -> None:
    honest = xlsx([["ods code", "staff absent"], ["RWE", 1]]).getvalue()
    # Shrink every declared size in the central directory: reading must fail, not inflate on.
    archive = zipfile.ZipFile(io.BytesIO(honest))
    liar = io.BytesIO()
    with zipfile.ZipFile(liar, "w", compression=zipfile.ZIP_DEFLATED) as out:
        for info in archive.infolist():
            out.writestr(info, archive.read(info))
    data = bytearray(liar.getvalue())
    marker = data.find(b"PK\x01\x02")
    while marker != -1:
        data[marker + 24:marker + 28] = (1).to_bytes(4, "little")  # uncompressed size
        marker = data.find(b"PK\x01\x02", marker + 4)
    with pytest.raises(TableError):
        list(iter_xlsx(io.BytesIO(bytes(data)), required=REQUIRED))


def test_other_file_types_are_refused_by_name() -> None:
    with pytest.raises(TableError, match="must be a CSV"):
        iter_table(io.BytesIO(b"%PDF"), "list.pdf", required=REQUIRED)


# --- Placeholders -----------------------------------------------------------------------------

names = st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,10}", fullmatch=True)
hostile_values = st.text(max_size=30) | st.sampled_from(
    ["((trust_name))", "<script>alert(1)</script>", "{{ secret }}", "%(x)s", "\\1", "\\g<0>", "$1"])


@FAST
@given(text=st.text(max_size=200), values=st.dictionaries(names, hostile_values, max_size=5))
def test_render_only_ever_raises_missing_placeholders(text: str, values: dict[str, str]) -> None:
    try:
        out = render(text, values)
    except MissingPlaceholders as error:
        assert error.missing and set(error.missing) <= set(placeholders_in(text))
    else:
        assert isinstance(out, str)


@FAST
@given(name=names, value=hostile_values.filter(lambda v: v != ""), before=st.text(max_size=20).filter(
    lambda t: "((" not in t and "))" not in t), after=st.text(max_size=20).filter(lambda t: "((" not in t))
def test_values_are_inserted_verbatim_and_never_reinterpreted(name: str, value: str, before: str,
                                                              after: str) -> None:
    # A value that itself looks like a placeholder, a template tag or a regex back-reference
    # comes out exactly as given.
    assert render(f"{before}(({name})){after}", {name: value, "trust_name": "SHOULD NOT APPEAR"}) == \
        f"{before}{value}{after}"


def test_missing_values_are_all_named() -> None:
    with pytest.raises(MissingPlaceholders) as error:
        render("Dear ((First Name)), ((trust_name)) ((date))", {"first_name": "", "date": "1 May"})
    assert error.value.missing == ["first_name", "trust_name"]


# --- Escaping in pages ------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/trusts/", "/trusts/RWE/", "/trusts/regions/Y60/"])
def test_html_in_a_trust_name_is_shown_as_text(client, path: str) -> None:
    from trusts.models import Trust

    Trust.objects.filter(ods_code="RWE").update(name='Leicester <script>alert("x")</script><img src=x onerror=y>')
    html = client.get(path).content.decode()
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "Leicester &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=y&gt;" in html
