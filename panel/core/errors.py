"""Errors that operations raise, and how they reach the browser (HTML) or an API client (JSON)."""

from flask import Flask, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from werkzeug import exceptions as http
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from panel.core.library_messages import translated

# The largest id the database's integer columns hold (PostgreSQL `integer`).
MAX_ID = 2**31 - 1


# A user-facing text: plain, or lazy (`_l`) to be translated when read.
Message = str | LazyString


class PanelError(Exception):
    """An error for the user. Messages may be lazy (`_l`): `message` and `fields` translate them
    when read, into the request's language (English outside a request)."""

    status = 400
    code = "bad_request"

    def __init__(self, message: Message, fields: dict[str, list[Message]] | None = None):
        super().__init__(message)
        self._message = message
        self._fields = fields or {}

    @property
    def message(self) -> str:
        return str(self._message)

    @property
    def fields(self) -> dict[str, list[str]]:
        return {name: [str(text) for text in texts] for name, texts in self._fields.items()}

    def within(self, prefix: str) -> "PanelError":
        """The same error about a part of the input: each field named PREFIX_<field>."""
        fields = {f"{prefix}_{name}": texts for name, texts in self._fields.items()}
        return type(self)(self._message, fields)


class ValidationFailed(PanelError):
    """Input that is not acceptable; nothing was written."""

    status = 422
    code = "validation_failed"

    @classmethod
    def field(cls, name: str, message: Message) -> "ValidationFailed":
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


class Gone(PanelError):
    """What was valid is no longer (an expired link)."""

    status = 410
    code = "gone"


class Unavailable(PanelError):
    """A service the request needs cannot be reached or refused; trying again may help."""

    status = 503
    code = "unavailable"


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
# What Werkzeug says in English of an error it raises itself (an unknown address, a wrong
# method), said in the person's language; an error raised with its own description keeps it.
DESCRIPTIONS = {
    400: _l("The request could not be understood."),
    401: _l("Please log in first."),
    403: _l("You may not see or change this."),
    404: _l("There is no page at this address. Check the address, or go back to the dashboard."),
    405: _l("This address does not take that kind of request."),
    413: _l("What was sent is too large."),
    415: _l("This address does not take data of that type."),
    429: _l("Too many attempts in a short time; wait a moment and try again."),
    500: _l("Something went wrong on our side; please try again later."),
}
# Headers of an HTTP error that the client needs to act on it.
KEPT_HEADERS = ("Retry-After", "WWW-Authenticate", "Allow")


class IdConverter(IntegerConverter):
    """`<int:...>` in every URL: an id beyond the database's integer range names nothing, so it
    is answered 404 by routing instead of failing in the database (SQLite and PostgreSQL raise
    on such numbers)."""

    def __init__(self, map, *args, **kwargs):
        super().__init__(map, *args, **kwargs)
        if self.max is None or self.max > MAX_ID:
            self.max = MAX_ID

    def to_python(self, value: str) -> int:
        # NotFound, not werkzeug's ValidationError: after that, routing would answer 405 for a
        # method that another rule of the same path has. Checked before int(), which refuses
        # strings of thousands of digits.
        if len(value.lstrip("0")) > len(str(self.max)) or int(value) > self.max:
            raise http.NotFound(_l("No such object."))
        return super().to_python(value)


def error_body(status: int, message: Message, fields: dict | None = None, code: str | None = None):
    """The JSON error answer, with lazy messages turned into plain text in the request's
    language."""
    code = code or HTTP_CODES.get(status, "error")
    fields = {str(name): [str(text) for text in texts] for name, texts in (fields or {}).items()}
    return {"error": {"code": code, "message": str(message), "fields": fields}}


def wants_json() -> bool:
    """The API, an address that names JSON (e.g. a job's events), or a client that asks for it."""
    return (
        request.path.startswith("/api/")
        or request.path.endswith(".json")
        or request.accept_mimetypes.best == "application/json"
    )


def register_error_handlers(app: Flask) -> None:
    """JSON or HTML answers for every error; called before any blueprint adds its URLs, so
    that the bounded id converter applies to all of them."""
    app.url_map.converters["int"] = IdConverter

    @app.errorhandler(PanelError)
    def panel_error(exc: PanelError):
        if wants_json():
            return jsonify(error_body(exc.status, exc.message, exc.fields, exc.code)), exc.status
        return render_template("error.html", status=exc.status, message=exc.message), exc.status

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        status = exc.code or 500
        if wants_json():
            message, fields = _webargs_problems(exc)
            response = jsonify(error_body(status, message or described(exc) or exc.name, fields))
            response.status_code = status
            original = exc.get_response().headers
            for header in KEPT_HEADERS:
                if original.get(header):
                    response.headers[header] = original[header]
            return response
        return render_template("error.html", status=status, message=described(exc)), status


def described(exc: HTTPException) -> str:
    """The error's description for people: its own, or ours for Werkzeug's English default.
    str(): a lazy description would pass through the template unescaped (__html__)."""
    if exc.description is None or exc.description == type(exc).description:
        return str(DESCRIPTIONS.get(exc.code or 500, ""))
    return str(exc.description)


def _webargs_problems(exc: HTTPException) -> tuple[str, dict[str, list[str]]]:
    """The message and field messages of a request that webargs rejected (empty otherwise),
    without webargs' location level ("json", "query")."""
    messages = (getattr(exc, "data", None) or {}).get("messages") or {}
    general: list[str] = []
    fields: dict[str, list[str]] = {}
    for located in messages.values():
        if not isinstance(located, dict):
            general.extend(_flatten(located))
            continue
        for name, problems in located.items():
            if name == "_schema":
                general.extend(_flatten(problems))
            else:
                fields[str(name)] = _flatten(problems)
    if general:
        return " ".join(general), fields
    return (_l("The request has invalid fields.") if fields else ""), fields


def _flatten(problems) -> list[str]:
    if isinstance(problems, list):
        return [translated(str(item)) for item in problems]
    if isinstance(problems, dict):
        return [f"{key}: {'; '.join(_flatten(value))}" for key, value in problems.items()]
    return [translated(str(problems))]
