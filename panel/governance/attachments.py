"""The PDFs the board attaches to a motion: checked on upload (a PDF, within the size limit,
a harmless file name), stored with their SHA-256, removable while the resolution is a draft."""

import hashlib
import re
import unicodedata

from flask import current_app
from flask_babel import lazy_gettext as _l

from panel.core.audit import record
from panel.core.errors import Conflict, ValidationFailed
from panel.extensions import db
from panel.governance.models import Attachment, Phase, Resolution

PDF_MAGIC = b"%PDF-"
MEBIBYTE = 1024 * 1024
NAME_LENGTH = 200
# Letters and digits of any script, and a few harmless signs; anything else (slashes, quotes,
# control characters) becomes "_", so that the name is safe in a path and a header.
_UNSAFE = re.compile(r"[^\w.\- ]+")


def size_limit() -> int:
    """The largest attachment in bytes (GOVERNANCE_ATTACHMENT_MB)."""
    return int(current_app.config["GOVERNANCE_ATTACHMENT_MB"]) * MEBIBYTE


def too_large():
    return _l("The file is larger than %(size)s MB.", size=size_limit() // MEBIBYTE)


def clean_filename(name: str) -> str:
    """The uploaded name without any path, unsafe sign or leading dot, ending in .pdf."""
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", name).strip(" ._")
    stem = name[:-4] if name.lower().endswith(".pdf") else name
    stem = stem.strip(" ._")[: NAME_LENGTH - 4] or "attachment"
    return f"{stem}.pdf"


def _check_draft(resolution: Resolution) -> None:
    if resolution.phase != Phase.DRAFT:
        raise Conflict(_l("Attachments can only be changed while the resolution is a draft."))


def add_attachment(resolution: Resolution, filename: str, content: bytes) -> Attachment:
    """Attach a PDF to a draft; anything that is not a PDF or is too large is refused."""
    _check_draft(resolution)
    if not content:
        raise ValidationFailed.field("file", _l("Choose a PDF file."))
    if len(content) > size_limit():
        raise ValidationFailed.field("file", too_large())
    if not content.startswith(PDF_MAGIC):
        raise ValidationFailed.field("file", _l("The file is not a PDF."))
    attachment = Attachment(
        resolution_id=resolution.id,
        filename=clean_filename(filename),
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
    )
    db.session.add(attachment)
    db.session.flush()
    record(
        "resolution.attachment_add",
        resolution,
        after={
            "attachment": attachment.id,
            "filename": attachment.filename,
            "size": attachment.size,
            "sha256": attachment.sha256,
        },
    )
    db.session.commit()
    return attachment


def remove_attachment(attachment: Attachment) -> None:
    resolution = attachment.resolution
    _check_draft(resolution)
    before = {
        "attachment": attachment.id,
        "filename": attachment.filename,
        "sha256": attachment.sha256,
    }
    db.session.delete(attachment)
    record("resolution.attachment_remove", resolution, before=before)
    db.session.commit()
