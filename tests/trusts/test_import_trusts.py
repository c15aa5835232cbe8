import csv
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.conftest import TRUSTS_CSV
from trusts.models import ICB, Trust
from trusts.models.organisations import display_name

pytestmark = pytest.mark.django_db


def _rows() -> list[dict[str, str]]:
    with TRUSTS_CSV.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _write(path: Path, rows: list[dict[str, str]], columns: list[str] | None = None) -> Path:
    columns = columns or list(rows[0].keys())
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def _run(path: Path) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_trusts", str(path), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_real_file_loads_209_trusts_in_42_icbs_and_7_regions() -> None:
    assert Trust.objects.count() == 209
    assert ICB.objects.count() == 42
    assert Trust.objects.values("icb__region").distinct().count() == 7
    rwe = Trust.objects.get(ods_code="RWE")
    assert rwe.name == "University Hospitals of Leicester NHS Trust"
    assert rwe.icb.short_name == "Leicester, Leicestershire and Rutland ICB"
    assert rwe.region.name == "Midlands"


def test_running_the_real_file_again_changes_nothing() -> None:
    out, _ = _run(TRUSTS_CSV)
    assert out.strip() == "0 created, 0 updated, 209 unchanged."


def test_a_changed_row_is_updated_by_ods_code(tmp_path: Path) -> None:
    rows = _rows()
    rwe = next(r for r in rows if r["ods_code"] == "RWE")
    rwe["trust_type"] = "community"
    out, _ = _run(_write(tmp_path / "t.csv", rows))
    assert out.strip() == "0 created, 1 updated, 208 unchanged."
    assert Trust.objects.get(ods_code="RWE").trust_type == "community"


def test_new_icb_codes_are_data_not_constants(tmp_path: Path) -> None:
    rows = _rows()
    row = next(r for r in rows if r["ods_code"] == "RWE")
    row.update(icb_code="QZZ", icb_name="NHS Merged Midlands Integrated Care Board")
    _run(_write(tmp_path / "t.csv", rows))
    assert Trust.objects.get(ods_code="RWE").icb.code == "QZZ"


def test_a_missing_column_names_line_1_and_saves_nothing(tmp_path: Path, capsys) -> None:
    rows = _rows()
    columns = [c for c in rows[0] if c != "trust_type"]
    rows[0]["name"] = "CHANGED"
    with pytest.raises(CommandError) as excinfo:
        _run(_write(tmp_path / "t.csv", rows, columns))
    assert excinfo.value.returncode == 1
    assert "nothing was saved" in str(excinfo.value)
    assert Trust.objects.get(ods_code=rows[0]["ods_code"]).ods_name != "CHANGED"


def test_an_unknown_region_names_its_line_and_saves_nothing(tmp_path: Path) -> None:
    rows = _rows()
    rows[0]["name"] = "SHOULD NOT BE SAVED"
    rows[9]["region_code"] = "Y99"
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_trusts", str(_write(tmp_path / "t.csv", rows)), stderr=err)
    assert "line 11, column region_code: unknown NHS England region 'Y99'" in err.getvalue()
    assert not Trust.objects.filter(ods_name="SHOULD NOT BE SAVED").exists()


def test_every_bad_row_is_reported_not_just_the_first(tmp_path: Path) -> None:
    rows = _rows()
    rows[1]["trust_type"] = "hospice"
    rows[4]["open_date"] = "01/04/2000"
    rows[6]["ods_code"] = rows[5]["ods_code"]
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_trusts", str(_write(tmp_path / "t.csv", rows)), stderr=err)
    text = err.getvalue()
    assert "line 3, column trust_type: 'hospice' is not one of" in text
    assert "line 6, column open_date: '01/04/2000' is not a date in the form YYYY-MM-DD" in text
    assert f"line 8, column ods_code: {rows[5]['ods_code']} already appears on line 7" in text


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(TRUSTS_CSV.read_bytes().replace(b"LEICESTER", "LÉICESTER".encode("latin-1")))
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_trusts", str(path), stderr=err)
    assert "is not valid UTF-8" in err.getvalue()


def test_a_bom_and_crlf_line_endings_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes(b"\xef\xbb\xbf" + TRUSTS_CSV.read_bytes().replace(b"\n", b"\r\n"))
    out, _ = _run(path)
    assert "209 unchanged" in out


def test_a_missing_file_is_a_clear_error() -> None:
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_trusts", "/nonexistent/trusts.csv")


@pytest.mark.parametrize(("ods", "shown"), [
    ("GUY'S AND ST THOMAS' NHS FOUNDATION TRUST", "Guy's and St Thomas' NHS Foundation Trust"),
    ("THE ROYAL MARSDEN NHS FOUNDATION TRUST", "The Royal Marsden NHS Foundation Trust"),
    ("BIRMINGHAM WOMEN'S AND CHILDREN'S NHS FOUNDATION TRUST",
     "Birmingham Women's and Children's NHS Foundation Trust"),
    ("TEES, ESK AND WEAR VALLEYS NHS FOUNDATION TRUST", "Tees, Esk and Wear Valleys NHS Foundation Trust"),
])
def test_display_names_keep_nhs_upper_case_and_small_words_lower(ods: str, shown: str) -> None:
    assert display_name(ods) == shown
