"""Schemas shared by all API resources."""

from http import HTTPStatus

from marshmallow import Schema, fields


class ErrorDetailSchema(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    fields = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))


class ErrorSchema(Schema):
    error = fields.Nested(ErrorDetailSchema, required=True)


def errors(blp, *codes: int):
    """Document the error answers an endpoint gives; 401 (no valid token) applies to all."""

    def decorator(func):
        for code in sorted({401, *codes}):
            func = blp.alt_response(code, response=HTTPStatus(code).name)(func)
        return func

    return decorator
