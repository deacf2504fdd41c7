"""Errors that operations raise, and how they reach the browser (HTML) or an API client (JSON)."""

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException


class PanelError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class ValidationFailed(PanelError):
    """Input that is not acceptable; nothing was written."""

    status = 422
    code = "validation_failed"

    @classmethod
    def field(cls, name: str, message: str) -> "ValidationFailed":
        return cls(message, {name: [message]})


class NotFound(PanelError):
    status = 404
    code = "not_found"


class Forbidden(PanelError):
    status = 403
    code = "forbidden"


class Conflict(PanelError):
    status = 409
    code = "conflict"


HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "too_many_requests",
}


def error_body(status: int, message: str, fields: dict | None = None, code: str | None = None):
    code = code or HTTP_CODES.get(status, "error")
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(PanelError)
    def panel_error(exc: PanelError):
        if wants_json():
            return jsonify(error_body(exc.status, exc.message, exc.fields, exc.code)), exc.status
        return render_template("error.html", status=exc.status, message=exc.message), exc.status

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        status = exc.code or 500
        if wants_json():
            fields = _webargs_fields(exc)
            message = "The request has invalid fields." if fields else exc.description or exc.name
            response = jsonify(error_body(status, message, fields))
            response.status_code = status
            for header in ("Retry-After", "WWW-Authenticate", "Allow"):
                if exc.get_response().headers.get(header):
                    response.headers[header] = exc.get_response().headers[header]
            return response
        return render_template("error.html", status=status, message=exc.description), status


def _webargs_fields(exc: HTTPException) -> dict[str, list[str]]:
    """Field messages of a request that webargs rejected, without the location level."""
    messages = (getattr(exc, "data", None) or {}).get("messages") or {}
    fields: dict[str, list[str]] = {}
    for located in messages.values():
        if not isinstance(located, dict):
            continue
        for name, problems in located.items():
            fields[str(name)] = _flatten(problems)
    return fields


def _flatten(problems) -> list[str]:
    if isinstance(problems, list):
        return [str(item) for item in problems]
    if isinstance(problems, dict):
        return [f"{key}: {'; '.join(_flatten(value))}" for key, value in problems.items()]
    return [str(problems)]
