import pytest

from notices.figures import format_action_dates, trust_action_figures
from notices.placeholders import MissingPlaceholders, placeholders_in, render
from tests.factories import local, make_action, make_return


def test_placeholders_are_found_once_each_ignoring_case_and_spaces() -> None:
    assert placeholders_in("Dear ((Name)), ((trust_name)) moved ((appointment date)); ((name))") == [
        "name", "trust_name", "appointment_date"]


def test_render_fills_values_and_names_every_missing_placeholder() -> None:
    assert render("Dear ((name))", {"Name": "Ann"}) == "Dear Ann"
    with pytest.raises(MissingPlaceholders) as excinfo:
        render("((a)) ((b)) ((c))", {"b": "x", "c": ""})
    assert excinfo.value.missing == ["a", "c"]


def test_values_are_inserted_as_text_not_reinterpreted() -> None:
    assert render("((x))", {"x": "((y))"}) == "((y))"


@pytest.mark.django_db
def test_action_dates_read_as_people_write_them() -> None:
    assert format_action_dates(make_action()) == "11 to 14 April 2023"
    assert format_action_dates(make_action("a2", windows=[(local(2023, 4, 30, 20), local(2023, 5, 2, 0))])) == \
        "30 April to 1 May 2023"
    nurses = make_action("nurses", windows=[(local(2022, 12, 15, 8), local(2022, 12, 15, 20)),
                                            (local(2022, 12, 20, 8), local(2022, 12, 20, 20))])
    assert format_action_dates(nurses) == "15 and 20 December 2022"


@pytest.mark.django_db
def test_trust_figures_sum_only_that_trusts_submitted_returns(rwe) -> None:
    import datetime as dt

    action = make_action(affected=["RWE"])
    make_return(action, rwe, dt.date(2023, 4, 11), elective_rescheduled=40, outpatient_rescheduled=500,
                community_rescheduled=10, mental_health_rescheduled=3, staff_absent=650, staff_due=1200)
    make_return(action, rwe, dt.date(2023, 4, 12), elective_rescheduled=45, outpatient_rescheduled=600,
                staff_absent=712, staff_due=1200)
    make_return(action, rwe, dt.date(2023, 4, 13), status="draft", elective_rescheduled=999)
    make_return(action, "RX1", dt.date(2023, 4, 11), elective_rescheduled=1000)
    figures = trust_action_figures(rwe, action)
    assert figures["procedures_rescheduled"] == "85"
    assert figures["appointments_rescheduled"] == "1,113"
    assert figures["peak_staff_absent"] == "712"
    assert figures["action_dates"] == "11 to 14 April 2023"
    assert figures["trust_name"] == "University Hospitals of Leicester NHS Trust"
