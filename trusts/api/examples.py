"""Examples for the OpenAPI schema and the documentation page (Leicester, April 2023)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiExample, OpenApiResponse

from trusts.api.errors import ErrorSerializer

ACTION = {
    "slug": "junior-doctors-2023-04", "name": "Junior doctors, April 2023", "staff_group": "junior_doctors",
    "staff_group_label": "Junior doctors", "unions": ["BMA"], "first_day": "2023-04-11", "last_day": "2023-04-14",
    "hard_close": "2023-04-21", "locks_at": "2023-04-21T23:59:59.999999+01:00", "affects_all_trusts": True,
    "affected_trusts": [],
}
ACTION_DETAIL = {
    **ACTION,
    "windows": [{"starts_at": "2023-04-11T07:00:00+01:00", "ends_at": "2023-04-15T07:00:00+01:00"}],
    "strike_days": [{"date": "2023-04-11", "starts_at": "2023-04-11T07:00:00+01:00",
                     "ends_at": "2023-04-12T07:00:00+01:00", "deadline": "2023-04-12T11:00:00+01:00"}],
}
RETURN = {
    "trust": "RWE", "trust_name": "University Hospitals of Leicester NHS Trust", "action": "junior-doctors-2023-04",
    "date": "2023-04-12", "status": "submitted", "version": 1, "staff_absent": 712, "staff_due": 1250,
    "elective_rescheduled": 40, "outpatient_rescheduled": 520, "community_rescheduled": 0,
    "mental_health_rescheduled": 0, "elective_planned": None, "outpatient_planned": None,
    "acute_rescheduled": 560, "total_rescheduled": 560, "is_nil": False, "is_late": False, "warning_comment": "",
    "deadline": "2023-04-13T11:00:00+01:00", "first_submitted_at": "2023-04-13T09:12:00+01:00",
    "submitted_at": "2023-04-13T09:12:00+01:00", "submitted_by": "Ada Lovelace", "source": "api",
}
RETURN_DETAIL = {
    **RETURN, "version": 2, "staff_absent": 715, "editable": True, "lock_reason": None,
    "revisions": [{"version": 2, "changed_by": "Ada Lovelace", "source": "api",
                   "reason": "Late sickness reports from two wards", "changes": {"staff_absent": [712, 715]},
                   "created_at": "2023-04-13T15:40:00+01:00"}],
}
FIGURES_IN = {"staff_absent": 712, "staff_due": 1250, "elective_rescheduled": 40, "outpatient_rescheduled": 520,
              "community_rescheduled": 0, "mental_health_rescheduled": 0}
CREATE_IN = {"trust": "RWE", "action": "junior-doctors-2023-04", "date": "2023-04-12", **FIGURES_IN}
UPDATE_IN = {"version": 1, **FIGURES_IN, "staff_absent": 715, "reason": "Late sickness reports from two wards"}


def _error(status: int, code: str, message: str, **extra: object) -> dict[str, object]:
    body = {"status": status, "code": code, "message": message, "fields": {}, "warnings": []}
    body.update(extra)
    return {"error": body}


ERROR_EXAMPLES = {
    400: _error(400, "invalid_request", "The request is not valid: see fields.",
                fields={"staff_absent": ["A valid integer is required."]}),
    401: _error(401, "not_authenticated", "The token is not valid, or has been revoked."),
    404: _error(404, "not_found", "Not found, or not in your organisations."),
    409: _error(409, "conflict", "This return has changed since you opened it by Tom. Check the figures now saved, "
                "then make your change again.", current_version=3, changes={"staff_absent": [712, 700]},
                current=RETURN),
    422: _error(422, "invalid", "Staff absent must be the same as or fewer than staff due to work (1,250)",
                fields={"staff_absent": ["Staff absent must be the same as or fewer than staff due to work (1,250)"]}),
    423: _error(423, "locked", "Returns for Junior doctors, April 2023 are locked: the action hard-closed at midnight "
                "on Saturday 22 April 2023. Ask NHS England to reopen your trust's returns if a figure must change.",
                lock_reason="Returns for Junior doctors, April 2023 are locked: the action hard-closed at midnight "
                "on Saturday 22 April 2023. Ask NHS England to reopen your trust's returns if a figure must change."),
    429: _error(429, "throttled", "Too many requests with this token. Try again in 12 seconds."),
}
WARNINGS_EXAMPLE = _error(
    422, "warnings", "Some figures look unusual. Check them, then say why they are right in a comment.",
    fields={"warning_comment": ["Enter a comment to say why the unusual figures are right"]},
    warnings=[{"field": "outpatient_rescheduled", "message": "Outpatient appointments rescheduled (5,200) is more "
               "than 3 times this trust's usual figure on earlier strike days (median 520)"}])
REASON_EXAMPLE = _error(
    422, "reason_required", "Enter a reason for the change: the deadline for this return was 11am on Thursday 13 "
    "April 2023", fields={"reason": ["Enter a reason for the change: the deadline for this return was 11am on "
                                     "Thursday 13 April 2023"]})

DESCRIPTIONS = {
    400: "The request body or query string is malformed (wrong types, unknown choices).",
    401: "No token, or a token that is not valid or has been revoked.",
    404: "Not found, or outside your organisations (the same answer either way).",
    409: "The return changed since the version you sent, or a draft was sent for a submitted return.",
    422: "The figures break a rule, look unusual and need a warning_comment, or a change after the deadline "
         "needs a reason.",
    423: "The return is locked (the strike day has not begun, or the action hard-closed): lock_reason says why.",
    429: "Too many requests with this token (or from this address, without one).",
}


def errors(*codes: int) -> dict[int, OpenApiResponse]:
    """The documented error responses of an operation, each with its example."""
    responses = {}
    for code in codes:
        examples = [OpenApiExample(f"{code} {ERROR_EXAMPLES[code]['error']['code']}",  # type: ignore[index]
                                   value=ERROR_EXAMPLES[code], response_only=True, status_codes=[str(code)])]
        if code == 422:
            examples += [
                OpenApiExample("422 warnings", value=WARNINGS_EXAMPLE, response_only=True, status_codes=["422"]),
                OpenApiExample("422 reason_required", value=REASON_EXAMPLE, response_only=True, status_codes=["422"]),
            ]
        responses[code] = OpenApiResponse(ErrorSerializer, description=DESCRIPTIONS[code], examples=examples)
    return responses
