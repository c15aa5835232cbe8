"""Forms for industrial actions and reopenings, laid out with the nhsuk crispy pack.

Forms turn what people typed into values (dates, times, trusts); the rules of an action live in
trusts.services.actions, whose errors the view puts back on these forms."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, cast

from django import forms
from django.db.models import QuerySet

from crispy_forms_nhsuk.fields import DateInputField
from crispy_forms_nhsuk.helper import FormHelper
from crispy_forms_nhsuk.layout import Field, Fieldset, Layout, Size, Submit
from trusts.dates import formatted
from trusts.models import IndustrialAction, StaffGroup, Trust, Union
from trusts.services.actions import parse_local_datetime
from trusts.strike_calendar import LONDON

TIME_RE = re.compile(r"^([01]?\d|2[0-3])[:.]?([0-5]\d)$")
MAX_WINDOWS = 20
BLANK_WINDOW_ROWS = 2


class ActionForm(forms.Form):
    name = forms.CharField(
        label="Name", max_length=200, help_text='For example, "Junior doctors, April 2023"',
        error_messages={"required": 'Enter a name, like "Junior doctors, April 2023"',
                        "max_length": "The name must be 200 characters or fewer"})
    slug = forms.CharField(
        label="Slug", max_length=80,
        help_text="Used in web addresses and import files: lower-case letters, numbers and hyphens, "
                  "like junior-doctors-april-2023. It cannot be changed later.",
        error_messages={"required": "Enter a slug, like junior-doctors-april-2023",
                        "max_length": "The slug must be 80 characters or fewer"})
    staff_group = forms.ChoiceField(
        label="Staff group taking action", choices=StaffGroup.choices, widget=forms.RadioSelect,
        error_messages={"required": "Select the staff group taking action"})
    unions = forms.MultipleChoiceField(
        label="Unions taking part", choices=Union.choices, widget=forms.CheckboxSelectMultiple,
        help_text="Select all that apply.", error_messages={"required": "Select the unions taking part"})
    affected = forms.CharField(
        label="Affected trusts (optional)", required=False, widget=forms.Textarea,
        help_text="ODS codes of the trusts where staff are taking action, separated by spaces, commas or "
                  "new lines, like RWE RX1. Leave empty if every trust is affected.")
    hard_close = DateInputField(
        label="Hard close (optional)", subject="Hard close", required=False,
        help_text="Returns lock at the end of this day. Leave empty for the default: five working days after "
                  "the last strike day. For example, 24 4 2023")
    requires_sign_off = forms.BooleanField(
        label="Returns need signing off by a second person at the trust", required=False,
        help_text="A return then counts as final only when a trust administrator other than the person who "
                  "submitted it signs it off. A change after sign-off needs a new sign-off.")

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            # The slug is in web addresses and import files; changing it would break both.
            self.fields["slug"].disabled = True
            self.fields["slug"].help_text = "Used in web addresses and import files; it cannot be changed."
        self.helper = FormHelper(form_tag=False)
        self.helper.layout = Layout(
            Field.text("name", field_width="two-thirds"),
            Field.text("slug", field_width="two-thirds", spellcheck="false"),
            Field.radios("staff_group", legend_size=Size.m),
            Field.checkboxes("unions", legend_size=Size.m, small=True),
            Field.textarea("affected", rows=4),
            Field.date("hard_close", legend_size=Size.m),
            Field.checkbox("requires_sign_off"),
        )

    def clean_slug(self) -> str:
        slug: str = self.cleaned_data["slug"].strip().lower()
        return slug

    def clean_affected(self) -> list[Trust]:
        codes = list(dict.fromkeys(c.upper() for c in re.split(r"[\s,;]+", self.cleaned_data["affected"]) if c))
        trusts = {t.ods_code: t for t in Trust.objects.filter(ods_code__in=codes)}
        unknown = [c for c in codes if c not in trusts]
        if unknown:
            raise forms.ValidationError(
                f"No trust has the ODS code{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
                "check the codes on the NHS trusts page")
        return [trusts[c] for c in codes]


def _parse_time(text: str) -> dt.time | None:
    match = TIME_RE.match(text.strip())
    return dt.time(int(match.group(1)), int(match.group(2))) if match else None


class WindowForm(forms.Form):
    """One walkout window. A row left entirely blank is ignored (so spare rows cost nothing)."""

    start_date = DateInputField(label="Start date", required=False)
    start_time = forms.CharField(label="Start time", required=False, max_length=5,
                                 help_text="24-hour clock, UK time, like 07:00")
    end_date = DateInputField(label="End date", required=False)
    end_time = forms.CharField(label="End time", required=False, max_length=5,
                               help_text="24-hour clock, UK time, like 07:00. Use 00:00 for midnight at "
                                         "the end of the day before.")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.number = int(self.prefix.rsplit("-", 1)[-1]) + 1 if self.prefix else 1
        self.fields["start_date"].subject = f"Window {self.number} start date"  # type: ignore[attr-defined]
        self.fields["end_date"].subject = f"Window {self.number} end date"  # type: ignore[attr-defined]
        self.helper = FormHelper(form_tag=False)
        self.helper.layout = Layout(Fieldset(
            Field.date("start_date", legend_size=Size.s),
            Field.text("start_time", field_width=5, inputmode="numeric"),
            Field.date("end_date", legend_size=Size.s),
            Field.text("end_time", field_width=5, inputmode="numeric"),
            legend=f"Walkout window {self.number}", legend_size=Size.m,
        ))

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        raw = {name: self.data.get(self.add_prefix(name), "") for name in ("start_time", "end_time")}
        dates_given = any(self.data.get(f"{self.add_prefix(n)}-{p}", "").strip()
                          for n in ("start_date", "end_date") for p in ("day", "month", "year"))
        self.is_blank = not dates_given and not any(v.strip() for v in raw.values())
        if self.is_blank or self.errors:
            return data
        n = self.number
        for side in ("start", "end"):
            if data.get(f"{side}_date") is None:
                self.add_error(f"{side}_date", f"Enter the {side} date of window {n}")
            text = data.get(f"{side}_time", "")
            if not text:
                self.add_error(f"{side}_time", f"Enter the {side} time of window {n}, like 07:00")
            elif _parse_time(text) is None:
                self.add_error(f"{side}_time", f"Enter the {side} time of window {n} in the 24-hour clock, "
                                               "like 07:00")
        if self.errors:
            return data
        window = []
        for side in ("start", "end"):
            moment = dt.datetime.combine(data[f"{side}_date"], _parse_time(data[f"{side}_time"]))  # type: ignore[arg-type]
            try:
                window.append(parse_local_datetime(moment.isoformat(timespec="minutes")))
            except ValueError:
                self.add_error(f"{side}_time", f"The {side} time of window {n} does not exist in UK time: "
                                               "the clocks go forward that night")
                return data
        data["window"] = tuple(window)
        return data


class BaseWindowFormSet(forms.BaseFormSet[forms.Form]):
    def windows(self) -> list[tuple[dt.datetime, dt.datetime]]:
        return [f.cleaned_data["window"] for f in self.forms if not getattr(f, "is_blank", True)]


def window_formset_class(extra: int) -> type[BaseWindowFormSet]:
    # formset_factory subclasses `formset`; django-stubs types its result as the base class.
    return cast("type[BaseWindowFormSet]", forms.formset_factory(
        WindowForm, formset=BaseWindowFormSet, extra=extra, max_num=MAX_WINDOWS, absolute_max=MAX_WINDOWS,
        validate_max=True))


def window_initial(action: IndustrialAction) -> list[dict[str, Any]]:
    rows = []
    for window in action.windows.all():
        start, end = window.starts_at.astimezone(LONDON), window.ends_at.astimezone(LONDON)
        rows.append({"start_date": start.date(), "start_time": formatted(start, "time"),
                     "end_date": end.date(), "end_time": formatted(end, "time")})
    return rows


class ReopenForm(forms.Form):
    trust = forms.ModelChoiceField(
        label="Trust", queryset=Trust.objects.none(), to_field_name="ods_code", empty_label="Choose a trust",
        error_messages={"required": "Select the trust whose returns you are reopening",
                        "invalid_choice": "Select a trust in your region"})
    reason = forms.CharField(
        label="Why are you reopening these returns?", max_length=1000, widget=forms.Textarea,
        help_text="The trust administrators and the audit log will see this.",
        error_messages={"required": "Enter why you are reopening the returns",
                        "max_length": "The reason must be 1,000 characters or fewer"})
    closes_on = DateInputField(
        label="Lock again at the end of (optional)", subject="The lock date", required=False,
        help_text="Leave empty for the default: the end of the second working day from today.")

    def __init__(self, *args: Any, trusts: QuerySet[Trust], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["trust"].queryset = trusts.order_by("name")  # type: ignore[attr-defined]
        self.fields["trust"].label_from_instance = lambda t: f"{t.name} ({t.ods_code})"  # type: ignore[attr-defined]
        self.helper = FormHelper()
        self.helper.layout = Layout(
            Field.select("trust"),
            Field.textarea("reason", max_characters=1000),
            Field.date("closes_on", legend_size=Size.s),
            Submit("reopen", "Reopen returns"),
        )
