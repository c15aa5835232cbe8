"""Layout objects for the nhsuk template pack; import everything from here."""

from crispy_forms.layout import HTML

from crispy_forms_nhsuk.layout.buttons import VARIANTS, Button, Submit
from crispy_forms_nhsuk.layout.constants import Fixed, Fluid, Size
from crispy_forms_nhsuk.layout.containers import Div, Fieldset, Layout
from crispy_forms_nhsuk.layout.fields import Field, Hidden

__all__ = [
    "HTML",
    "VARIANTS",
    "Button",
    "Div",
    "Field",
    "Fieldset",
    "Fixed",
    "Fluid",
    "Hidden",
    "Layout",
    "Size",
    "Submit",
]
