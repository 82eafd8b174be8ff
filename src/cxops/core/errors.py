"""One error hierarchy for the whole product, rendered to HTTP in one place (entrypoints.http)."""

from __future__ import annotations

from typing import Any


class CxopsError(Exception):
    """Base of every error cxops raises on purpose; carries its HTTP status and a specific message."""

    status_code = 500
    code = "internal_error"

    def __init__(self, message: str, *, field: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.field is not None:
            body["field"] = self.field
        if self.details is not None:
            body["details"] = self.details
        return body


class ValidationFailed(CxopsError):
    status_code = 422
    code = "validation_failed"


class BadRequest(CxopsError):
    status_code = 400
    code = "bad_request"


class NotFound(CxopsError):
    status_code = 404
    code = "not_found"


class Conflict(CxopsError):
    status_code = 409
    code = "conflict"


class Unauthorized(CxopsError):
    status_code = 401
    code = "unauthorized"


class Forbidden(CxopsError):
    status_code = 403
    code = "forbidden"


class PayloadTooLarge(CxopsError):
    status_code = 413
    code = "payload_too_large"


class UnsupportedMediaType(CxopsError):
    status_code = 415
    code = "unsupported_media_type"


class RateLimited(CxopsError):
    status_code = 429
    code = "rate_limited"


class ConfigurationError(CxopsError):
    status_code = 500
    code = "configuration_error"


class ServiceUnavailable(CxopsError):
    status_code = 503
    code = "service_unavailable"
