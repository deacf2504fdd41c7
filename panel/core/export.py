"""The parts of a member's data export: each feature adds the part it keeps, so that the export
(panel/export/) need not know the features.

A feature registers its part in its feature.py:

    add_export_part(app, ExportPart("webspaces", export.webspaces_part))

BUILD is called with the member and gives {path: content}; each path lands in the archive under
the part's NAME ("webspaces/domains.json"). A content is

- bytes, written as they are (an invoice's PDF);
- an iterator of bytes, written chunk by chunk, for what is too large to hold at once (see
  json_array, which streams rows as one JSON array);
- anything else, written as JSON (json_bytes: decimals and dates as strings).

What a part holds is named field by field (fields_of), never a whole row: a column added later
(a password hash, a token, an encrypted secret) must not reach the archive unnoticed. Parts are
written in the order of their names.
"""

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from flask import Flask, current_app
from sqlalchemy import select

from panel.extensions import db

# Rows per chunk of a streamed JSON array.
CHUNK_ROWS = 500


@dataclass(frozen=True)
class ExportPart:
    name: str
    build: Callable[[Any], dict[str, Any]]


def add_export_part(app: Flask, part: ExportPart) -> None:
    app.extensions.setdefault("export_parts", []).append(part)


def export_parts() -> list[ExportPart]:
    return sorted(current_app.extensions.get("export_parts", []), key=lambda part: part.name)


def fields_of(obj: Any, names: Iterable[str]) -> dict[str, Any]:
    """The named attributes of OBJ, as a dict for JSON."""
    return {name: getattr(obj, name) for name in names}


def member_rows(model: Any, member: Any, names: Iterable[str], *where: Any) -> list[dict]:
    """The member's rows of MODEL (in the order of their keys, and meeting WHERE), each as its
    named fields."""
    rows = db.session.scalars(
        select(model)
        .where(model.member_id == member.id, *where)
        .order_by(*model.__table__.primary_key.columns)
    )
    return [fields_of(row, names) for row in rows]


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    raise TypeError(f"{type(value).__name__} is not exported as JSON")


def json_bytes(value: Any) -> bytes:
    return json.dumps(value, default=_plain, ensure_ascii=False, indent=1).encode()


def json_array(rows: Iterable[Any]) -> Iterator[bytes]:
    """ROWS as one JSON array, a chunk of CHUNK_ROWS rows at a time."""
    yield b"["
    batch: list[str] = []
    first = True
    for row in rows:
        batch.append(json.dumps(row, default=_plain, ensure_ascii=False))
        if len(batch) == CHUNK_ROWS:
            yield ("" if first else ",").encode() + ",\n".join(batch).encode()
            batch, first = [], False
    if batch:
        yield ("" if first else ",").encode() + ",\n".join(batch).encode()
    yield b"]\n"
