"""A django-crispy-forms template pack for the NHS.UK design system (modelled on crispy-forms-gds)."""
