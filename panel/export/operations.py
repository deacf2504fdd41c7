"""A member's data as one ZIP archive: every feature's part (panel/core/export.py), a
manifest of the files and a short note of what the archive is, in each language of the panel."""

import hashlib
import tempfile
import zipfile
from collections.abc import Iterator
from typing import IO, Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from panel.coop.models import Member
from panel.core.audit import record
from panel.core.export import export_parts, json_bytes
from panel.core.models import utcnow
from panel.extensions import db

# Raised when the archive's layout changes in a way that readers must know.
FORMAT_VERSION = 1
# Archives up to this size stay in memory; larger ones go to a temporary file.
IN_MEMORY_BYTES = 8 * 1024 * 1024
ABOUT = _l(
    "All data the cooperative's panel keeps about member %(number)s, as of %(at)s: the "
    "account's logins, the membership and its shares, webspaces, servers, video rooms, the "
    "usage ledger and invoices. Each folder is one part; manifest.json lists every file with "
    "its size and SHA-256 checksum. Passwords, tokens and other secrets are left out."
)


class _Written:
    """The archive being written, and what the manifest says about each file in it."""

    def __init__(self, archive: zipfile.ZipFile):
        self.archive = archive
        self.files: list[dict[str, Any]] = []

    def add(self, path: str, content: Any) -> None:
        if isinstance(content, Iterator):
            chunks = content
        elif isinstance(content, bytes):
            chunks = iter((content,))
        else:
            chunks = iter((json_bytes(content),))
        digest, size = hashlib.sha256(), 0
        with self.archive.open(path, "w", force_zip64=True) as target:
            for chunk in chunks:
                target.write(chunk)
                digest.update(chunk)
                size += len(chunk)
        self.files.append({"path": path, "bytes": size, "sha256": digest.hexdigest()})


def export_member(member: Member) -> tuple[IO[bytes], str]:
    """The member's archive, read from its start, and the file name to offer it under."""
    now = utcnow()
    target = tempfile.SpooledTemporaryFile(max_size=IN_MEMORY_BYTES)  # noqa: SIM115  # handed on
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        written = _Written(archive)
        for part in export_parts():
            for path, content in part.build(member).items():
                written.add(f"{part.name}/{path}", content)
        manifest = {
            "format_version": FORMAT_VERSION,
            "generated_at": now,
            "member_number": member.number,
            "about": _about(member, now.isoformat(timespec="seconds")),
            "files": written.files,
        }
        archive.writestr("manifest.json", json_bytes(manifest))
    target.seek(0)
    record(
        "member.export",
        member,
        after={"files": len(written.files)},
        member_id=member.id,
    )
    db.session.commit()
    return target, f"{member.number}-{now.date().isoformat()}.zip"


def _about(member: Member, at: str) -> dict[str, str]:
    """The archive's note in every language of the panel."""
    about = {}
    for language in current_app.config["LANGUAGES"]:
        with force_locale(language):
            about[language] = str(ABOUT) % {"number": member.number, "at": at}
    return about
