from django.apps import AppConfig


class CrispyFormsNhsukConfig(AppConfig):
    name = "crispy_forms_nhsuk"
    verbose_name = "NHS.UK crispy-forms template pack"
