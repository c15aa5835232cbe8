"""GOV.UK Notify delivery receipts: POST /messages/notify/callback/.

Notify calls this with `Authorization: Bearer <the token set in Notify>` (NOTIFY_CALLBACK_TOKEN) and
a JSON body per message: id, reference (our delivery id), to, status (delivered, permanent-failure,
temporary-failure, technical-failure...), created_at, completed_at, sent_at, notification_type.

CSRF does not apply (a server calls it, with its own secret); the token is compared in constant
time; `to` is never read or logged. Notify retries anything that is not 2xx, so a receipt for an
unknown or already settled delivery, or one whose recorded notification id is not the receipt's, is
answered 200 and changes nothing; one for a delivery still being sent (no id recorded yet) is answered
409, so that Notify calls again once the worker has written the id.
"""

from __future__ import annotations

import hmac
import json
import logging

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from notices.services.delivery import RECEIPT_RECORDED, RECEIPT_TOO_EARLY, delivery_receipt_record

logger = logging.getLogger("notices.delivery")


def _authorised(request: HttpRequest) -> bool:
    expected = settings.NOTIFY_CALLBACK_TOKEN
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if not expected or scheme.lower() != "bearer" or not token:
        return False
    return hmac.compare_digest(token.strip().encode(), expected.encode())


@csrf_exempt
@require_POST
def notify_callback(request: HttpRequest) -> HttpResponse:
    if not _authorised(request):
        response = JsonResponse({"error": "Unauthorised"}, status=401)
        response["WWW-Authenticate"] = "Bearer"
        return response
    try:
        body = json.loads(request.body or b"")
    except (ValueError, UnicodeDecodeError):
        return JsonResponse({"error": "The body must be JSON"}, status=400)
    if not isinstance(body, dict) or not isinstance(body.get("status"), str):
        return JsonResponse({"error": "The body must be a JSON object with a status"}, status=400)
    outcome = delivery_receipt_record(
        reference=str(body.get("reference") or ""), notification_id=str(body.get("id") or ""),
        status=body["status"],
    )
    logger.info("Notify receipt for delivery %s: %s (%s)", str(body.get("reference"))[:20], body["status"][:30],
                outcome)
    if outcome == RECEIPT_TOO_EARLY:
        # Notify retries a callback that is not answered 2xx; by then the worker has written the id.
        return JsonResponse({"recorded": False, "retry": True}, status=409)
    return JsonResponse({"recorded": outcome == RECEIPT_RECORDED})
