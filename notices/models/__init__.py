"""Models of the notices app, one module per area; each area re-exports its models here."""
