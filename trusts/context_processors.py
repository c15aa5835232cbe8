from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse


def _nav_items(request: HttpRequest) -> list[dict[str, object]]:
    # Each app adds its entries here as it gains pages; order is what users scan for first.
    items: list[dict[str, object]] = [
        {"href": reverse("trusts:list"), "text": "NHS trusts"},
        {"href": reverse("notices:list"), "text": "Notices"},
    ]
    user = getattr(request, "user", None)
    # One query for every item below: the header is on every page.
    roles = set(user.memberships.values_list("role", flat=True)) if user is not None and user.is_authenticated \
        else set()
    if roles:
        # Managers and trust staff all work with actions; people with no role have nothing there.
        items.append({"href": reverse("actions:list"), "text": "Actions"})
    if "trust_admin" in roles:
        # Daily returns are entered by trust administrators (docs/returns.md).
        items.append({"href": reverse("returns:dashboard"), "text": "Returns"})
    if "trust_comms" in roles:
        # Patient messages are for the trust's communications staff only (docs/messaging.md).
        items.append({"href": reverse("campaigns:index"), "text": "Messages"})
    if roles & {"national_manager", "regional_manager"}:
        # Live national and regional figures are for managers only (docs/reports.md).
        items.append({"href": reverse("reports:dashboard"), "text": "Reports"})
    for item in items:
        item["active"] = request.path.startswith(str(item["href"]))
    return items


def service(request: HttpRequest) -> dict[str, object]:
    return {
        "service_name": settings.SERVICE_NAME,
        "service_phase": settings.SERVICE_PHASE,
        "nav_items": _nav_items(request),
    }
