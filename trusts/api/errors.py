"""Every API error in one shape (docs/api.md):

    {"error": {"status": 422, "code": "invalid", "message": "...",
               "fields": {"staff_absent": ["..."]}, "warnings": [{"field": "...", "message": "..."}]}}

plus, where they apply, "lock_reason" (423), "current_version", "current" and "changes" (409).
The messages are the web's, word for word: a service's refusal (strikeops.errors.ServiceError) is
answered here, with its class's status and code, and the web shows the same error.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from strikeops.errors import NON_FIELD, ServiceError
from trusts.api.serializers import ReturnSerializer
from trusts.services.returns import ReturnConflict


class ApiError(exceptions.APIException):
    """A refusal the API itself makes (a request it does not understand), in the same shape as a
    service's: a code, a message fit to show, and optional field errors and extras."""

    def __init__(self, *, status_code: int, code: str, message: str, fields: dict[str, list[str]] | None = None,
                 **extra: Any) -> None:
        super().__init__(detail=message, code=code)
        self.status_code = status_code
        self.code = code
        self.message = message
        self.fields = fields or {}
        self.extra = extra


def error_json(*, status: int, code: str, message: str) -> JsonResponse:
    """The one error shape for answers made outside DRF (Django's 400/404/500 handlers, unknown URLs)."""
    return JsonResponse({"error": {"status": status, "code": code, "message": message, "fields": {},
                                   "warnings": []}}, status=status)


def refusal_body(error: ServiceError) -> dict[str, Any]:
    """A service's refusal in the one shape: its messages by field ("__all__" becomes
    "non_field_errors", as in DRF), its warnings and its extra members."""
    fields = {("non_field_errors" if name == NON_FIELD else name): texts for name, texts in error.errors.items()}
    body = {"status": error.api_status, "code": error.api_code, "message": error.message, "fields": fields,
            "warnings": error.api_warnings(), **error.api_extra()}
    if isinstance(error, ReturnConflict):
        body["current"] = ReturnSerializer(error.current).data if error.current else None
    return body


def _flatten(detail: Any) -> dict[str, list[str]]:
    """DRF's nested ValidationError detail as {field: [messages]}."""
    if isinstance(detail, dict):
        result: dict[str, list[str]] = {}
        for name, value in detail.items():
            if isinstance(value, dict):
                for inner, messages in _flatten(value).items():
                    result[f"{name}.{inner}"] = messages
            else:
                result[str(name)] = [str(v) for v in (value if isinstance(value, list) else [value])]
        return result
    items = detail if isinstance(detail, list) else [detail]
    return {"non_field_errors": [str(v) for v in items]}


DEFAULT_CODES = {
    status.HTTP_400_BAD_REQUEST: "bad_request",
    status.HTTP_401_UNAUTHORIZED: "not_authenticated",
    status.HTTP_403_FORBIDDEN: "forbidden",
    status.HTTP_404_NOT_FOUND: "not_found",
    status.HTTP_405_METHOD_NOT_ALLOWED: "method_not_allowed",
    status.HTTP_406_NOT_ACCEPTABLE: "not_acceptable",
    status.HTTP_415_UNSUPPORTED_MEDIA_TYPE: "unsupported_media_type",
    status.HTTP_429_TOO_MANY_REQUESTS: "throttled",
}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ServiceError):
        return Response({"error": refusal_body(exc)}, status=exc.api_status)
    if isinstance(exc, ApiError):
        body = {"status": exc.status_code, "code": exc.code, "message": exc.message, "fields": exc.fields,
                "warnings": [], **exc.extra}
        return Response({"error": body}, status=exc.status_code)
    if isinstance(exc, Http404):
        # Outside the caller's organisations, or not there at all: the same answer (nothing disclosed).
        exc = exceptions.NotFound("Not found, or not in your organisations.")
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a server error: Django's 500 handling and logging take it
    fields: dict[str, list[str]] = {}
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        message = "The request is not valid: see fields."
        code = "invalid_request"
    else:
        detail = getattr(exc, "detail", "")
        message = str(detail) if not isinstance(detail, (dict, list)) else "The request was refused."
        code = DEFAULT_CODES.get(response.status_code, "error")
    if isinstance(exc, exceptions.Throttled):
        message = f"Too many requests with this token. Try again in {exc.wait or 1:.0f} seconds."  # type: ignore[attr-defined]
    response.data = {"error": {"status": response.status_code, "code": code, "message": message,
                               "fields": fields, "warnings": []}}
    return response


# --- the shape, for the OpenAPI schema -----------------------------------------------------------

class WarningSerializer(serializers.Serializer[Any]):
    field = serializers.CharField()
    message = serializers.CharField()


class ErrorBodySerializer(serializers.Serializer[Any]):
    status = serializers.IntegerField()
    code = serializers.CharField(help_text="invalid_request, invalid, warnings, reason_required, locked, conflict, "
                                           "already_submitted, not_authenticated, not_found, throttled, ...")
    message = serializers.CharField(help_text="A sentence fit to show a person.")
    fields = serializers.DictField(  # type: ignore[assignment]  # the body's "fields" key, not Serializer.fields
        child=serializers.ListField(child=serializers.CharField()),
                                   help_text="Messages per request field.")
    warnings = WarningSerializer(many=True, help_text="Figures that look unusual (send a warning_comment).")
    lock_reason = serializers.CharField(required=False, help_text="Why the return is locked (423).")
    current_version = serializers.IntegerField(required=False, help_text="The return's version now (409).")
    changes = serializers.DictField(required=False, child=serializers.ListField(allow_null=True),
                                    help_text="{field: [old, new]} since the version you sent (409).")
    current = serializers.DictField(required=False, allow_null=True, help_text="The return as it is now (409).")


class ErrorSerializer(serializers.Serializer[Any]):
    error = ErrorBodySerializer()
