"""flask-smorest adapted to the panel: its error shape, JSON-only bodies, strict input."""

from collections.abc import Iterable
from functools import wraps

from flask import request
from flask_smorest import Api, Blueprint
from flask_smorest.pagination import PaginationMetadataSchema
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge, UnsupportedMediaType

from panel.api.schemas import ErrorSchema, errors
from panel.core.access import require_role
from panel.core.errors import ValidationFailed
from panel.core.roles import Role

# Bodies are small JSON objects; anything larger is refused before it is read.
MAX_BODY_BYTES = 64 * 1024
# Far deeper than any body of this API; Python's json parser would recurse until the
# interpreter's limit on a body nested thousands deep, and fail with a RecursionError.
MAX_JSON_DEPTH = 32
BACKSLASH, QUOTE, OPENING, CLOSING = ord("\\"), ord('"'), b"[{", b"]}"
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class PanelApi(Api):
    """flask-smorest with the panel's error shape; errors are rendered by panel.core.errors."""

    ERROR_SCHEMA = ErrorSchema
    # Each operation lists the errors it can give; a catch-all would hide undocumented ones.
    DEFAULT_ERROR_RESPONSE_NAME = None

    def _register_error_handlers(self):
        """The app-wide handlers of panel.core.errors answer API errors too."""

    def _register_pagination_header(self):
        # The header holds JSON, which OpenAPI says with `content`; flask-smorest's `schema`
        # would declare a header serialized as comma-separated keys and values.
        self.spec.components.header(
            "PAGINATION",
            {
                "description": "Paging of the list as JSON (page and page_size parameters).",
                "content": {"application/json": {"schema": PaginationMetadataSchema}},
            },
            lazy=True,
        )


# The one instance, bound to the app by panel.api.feature.
api = PanelApi()


def nests_too_deep(body: bytes) -> bool:
    """Whether arrays and objects in a JSON text nest deeper than MAX_JSON_DEPTH; brackets
    inside strings do not count. Linear in the body's length, whatever the body."""
    if body.count(b"[") + body.count(b"{") <= MAX_JSON_DEPTH:
        return False
    depth = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == BACKSLASH:
                escaped = True
            elif byte == QUOTE:
                in_string = False
        elif byte == QUOTE:
            in_string = True
        elif byte in OPENING:
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return True
        elif byte in CLOSING:
            depth -= 1
    return False


def require_json_body(required: bool) -> None:
    """A body must be JSON (webargs would read another one as no body at all), and there must
    be one where the operation documents it as required."""
    request.max_content_length = MAX_BODY_BYTES
    try:
        body = request.get_data(cache=True)
    except RequestEntityTooLarge as exc:
        raise RequestEntityTooLarge(f"The body may have at most {MAX_BODY_BYTES} bytes.") from exc
    if body and not request.is_json:
        raise UnsupportedMediaType("Send the body as JSON (Content-Type: application/json).")
    if nests_too_deep(body):
        raise BadRequest(f"The JSON body nests deeper than {MAX_JSON_DEPTH} levels.")
    if required and not body.strip():
        raise ValidationFailed("This request needs a JSON object as its body.")


def _query_names(view) -> frozenset[str]:
    """The query parameters the view's arguments and pagination read."""
    apidoc = getattr(view, "_apidoc", {})
    parameters = [
        *apidoc.get("arguments", {}).get("parameters", []),
        apidoc.get("pagination", {}).get("parameters"),
    ]
    names = set()
    for parameter in parameters:
        if parameter and parameter["in"] == "query":
            schema = parameter["schema"]
            schema = schema() if isinstance(schema, type) else schema
            names.update(field.data_key or name for name, field in schema.load_fields.items())
    return frozenset(names)


def reject_unknown_query(known: frozenset[str]) -> None:
    unknown = sorted(set(request.args) - known)
    if unknown:
        raise ValidationFailed(
            "Unknown query parameters: " + ", ".join(unknown) + ".",
            {name: ["Unknown field."] for name in unknown},
        )


class ApiBlueprint(Blueprint):
    """A flask-smorest blueprint with the panel's rules for every operation, documented:

    - `roles=` on a route: other roles get 403 before anything else is looked at;
    - a method that changes something documents 403 too (a read-only token gets it);
    - unknown query parameters are refused (422), as unknown body fields are;
    - a JSON body is checked for presence, media type and size before it is parsed."""

    def route(self, rule, *, roles: Iterable[Role] = (), **options):
        register = super().route(rule, **options)
        roles = tuple(roles)
        changes = set(options.get("methods", ["GET"])) - READ_METHODS

        def decorator(func):
            known = _query_names(func)

            @wraps(func)
            def view(*args, **kwargs):
                if roles:
                    require_role(*roles)
                reject_unknown_query(known)
                return func(*args, **kwargs)

            return register(errors(self, *((403,) if roles or changes else ()))(view))

        return decorator

    def arguments(self, schema, *, location="json", required=True, **kwargs):
        parse = super().arguments(schema, location=location, required=required, **kwargs)
        if location != "json":
            return parse

        def decorator(func):
            parsing = parse(func)

            @wraps(parsing)
            def checked(*args, **kw):
                require_json_body(required)
                return parsing(*args, **kw)

            return errors(self, 400, 413, 415)(checked)

        return decorator
