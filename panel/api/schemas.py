"""Schemas and fields shared by all API resources."""

import re
import unicodedata
from datetime import UTC
from http import HTTPStatus

from marshmallow import Schema, ValidationError, fields, validate

from panel.core.errors import MAX_ID, ValidationFailed
from panel.core.money import AMOUNT_LENGTH, PERCENT_LENGTH, clean_amount, clean_percent


class ErrorDetailSchema(Schema):
    code = fields.String(required=True, metadata={"example": "validation_failed"})
    message = fields.String(required=True)
    fields = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        required=True,
        metadata={"description": "Messages by the name of the field they are about."},
    )


class ErrorSchema(Schema):
    error = fields.Nested(ErrorDetailSchema, required=True)


class InputSchema(Schema):
    """Base of request schemas: unknown fields are rejected by name."""

    error_messages = {
        "type": "The body must be a JSON object.",
        "unknown": "Unknown field.",
    }


# Characters no text field takes: control characters (but tab and line breaks in multiline
# text) and lone surrogates, which no database stores.
_REFUSED = r"\x00-\x1f\x7f-\x9f\ud800-\udfff"
_REFUSED_MULTILINE = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff"


class PlainText(validate.Validator):
    """Text without refused characters, and with more than blanks where it must not be empty.
    Its `regex` says the same for the OpenAPI document (apispec reads it as the pattern)."""

    def __init__(self, *, multiline: bool = False, blank: bool = True):
        refused = _REFUSED_MULTILINE if multiline else _REFUSED
        self.blank = blank
        # Checked one character at a time: the document's pattern backtracks on long input.
        self.refused = re.compile(f"[{refused}]")
        middle = "" if blank else rf"[^\s{refused}][^{refused}]*"
        self.regex = re.compile(f"^[^{refused}]*{middle}$")

    def __call__(self, value: str) -> str:
        if not self.blank and not value.strip():
            raise ValidationError("Must not be blank.")
        found = self.refused.search(value)
        if found and unicodedata.category(found.group()) == "Cs":
            raise ValidationError("Not valid Unicode text.")
        if found:
            raise ValidationError("Control characters are not allowed.")
        return value


class Text(fields.String):
    """A bounded string of plain characters (line breaks only where multiline); with
    min_length, blanks alone do not count."""

    def __init__(self, *, max_length: int, min_length: int | None = None, multiline=False, **kw):
        validators = [
            validate.Length(min=min_length, max=max_length),
            PlainText(multiline=multiline, blank=not min_length),
        ]
        super().__init__(validate=validators, **kw)


class Email(fields.Email):
    def __init__(self, **kwargs):
        super().__init__(validate=[validate.Length(max=254), PlainText()], **kwargs)


class Flag(fields.Boolean):
    """true or false, nothing else (marshmallow would also take 1, "yes", "on", ...)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid")
        return value


class UtcDateTime(fields.DateTime):
    """A moment in RFC 3339 with its offset; the database keeps naive UTC."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return super()._serialize(value, attr, obj, **kwargs)


class Amount(fields.String):
    """An amount in euros as a string ("1234.56"), read by panel.core.money as the pages read
    it: the same checks and the same messages in the API as on the pages."""

    max_length = AMOUNT_LENGTH
    description = "euros as a decimal string, like 1234.56"

    def __init__(self, **kwargs):
        metadata = {"description": self.description, **kwargs.pop("metadata", {})}
        super().__init__(metadata={**metadata, "maxLength": self.max_length}, **kwargs)

    def clean(self, text: str):
        return clean_amount(self.name, text)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return self.clean(text)
        except ValidationFailed as exc:
            raise ValidationError(exc.message) from exc


class Percent(Amount):
    """A percentage from 0 to 100 as a string ("19.00"), read like an amount."""

    max_length = PERCENT_LENGTH
    description = "a percentage from 0 to 100 as a decimal string, like 19.00"

    def clean(self, text: str):
        return clean_percent(self.name, text)


class Id(fields.Integer):
    """An integer id in the database's range."""

    def __init__(self, **kwargs):
        super().__init__(validate=validate.Range(min=1, max=MAX_ID), **kwargs)


def errors(blp, *codes: int):
    """Document the error answers an endpoint gives besides those every one can give: 401 (no
    valid token) and 422 (unknown query parameters)."""

    def decorator(func):
        for code in sorted({401, 422, *codes}):
            func = blp.alt_response(code, response=HTTPStatus(code).name)(func)
        return func

    return decorator
