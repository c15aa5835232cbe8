"""Forms of the report pages: the query strings that filter and sort the tables, and the strike day
whose missing returns are listed. Both only read the query string; an unrecognised value is ignored."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from reports.selectors.reports import SORT_KEYS
from trusts.models import ICB, Region, TrustType


class TableFilterForm(forms.Form):
    """The query string of a report's tables. Anything unrecognised is ignored, never an error page."""

    region = forms.ChoiceField(required=False, label="Region")
    icb = forms.ChoiceField(required=False, label="Integrated care board")
    trust_type = forms.ChoiceField(required=False, label="Trust type",
                                   choices=[("", "All types"), *TrustType.choices])
    reported = forms.ChoiceField(required=False, label="Returns", choices=[
        ("", "All trusts"), ("missing", "Missing a return"), ("complete", "Every return sent")])
    q = forms.CharField(required=False, max_length=100, label="Trust name or ODS code")
    sort = forms.ChoiceField(required=False, choices=[(k, k) for k in SORT_KEYS])
    dir = forms.ChoiceField(required=False, choices=[("asc", "asc"), ("desc", "desc")])
    icb_sort = forms.ChoiceField(required=False, choices=[(k, k) for k in SORT_KEYS])
    icb_dir = forms.ChoiceField(required=False, choices=[("asc", "asc"), ("desc", "desc")])

    def __init__(self, data: Any, *, regions: list[Region], icbs: list[ICB]) -> None:
        super().__init__(data)
        region, icb = self.fields["region"], self.fields["icb"]
        assert isinstance(region, forms.ChoiceField) and isinstance(icb, forms.ChoiceField)
        region.choices = [("", "All regions")] + [(r.code, r.name) for r in regions]
        icb.choices = [("", "All ICBs")] + [(i.code, i.short_name) for i in icbs]

    def value(self, name: str) -> str:
        """The cleaned value, or empty where the field was invalid (a stale link, say)."""
        if not self.is_bound:
            return ""
        self.is_valid()
        return str(self.cleaned_data.get(name) or "") if name not in self.errors else ""


class MissingDayForm(forms.Form):
    """The strike day of the missing-returns page; choices are the action's strike days."""

    date = forms.TypedChoiceField(coerce=dt.date.fromisoformat, label="Strike day")

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        date = self.fields["date"]
        assert isinstance(date, forms.ChoiceField)
        date.choices = choices
