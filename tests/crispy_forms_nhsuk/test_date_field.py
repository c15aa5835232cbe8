

def test_compress_follows_the_multivaluefield_contract() -> None:
    import datetime

    from crispy_forms_nhsuk.fields import DateInputField

    field = DateInputField()
    assert field.compress([12, 4, 2023]) == datetime.date(2023, 4, 12)
    assert field.compress(["", "", ""]) is None
    assert field.compress([]) is None
