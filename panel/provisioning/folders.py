"""Jobs' private folders: ansible-runner's data for one run, the panel's SSH key in the clear and
the secret vars among it. A job removes its own; a worker killed mid-job cannot, so the reaper
removes what such jobs left on this machine once they have ended."""

import hashlib
import os
import re
import shutil
import tempfile
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from panel.extensions import db
from panel.provisioning.models import FINISHED, Job


def base() -> Path:
    """In memory where there is /dev/shm, so the key and secret vars never reach a disk."""
    shm = Path("/dev/shm")  # noqa: S108
    return shm if os.access(shm, os.W_OK) else Path(tempfile.gettempdir())


def prefix() -> str:
    # Two panels on one machine number their jobs alike; the instance tells their folders apart.
    instance = hashlib.sha256(current_app.instance_path.encode()).hexdigest()[:10]
    return f"panel-job-{instance}-"


def job_folder(job_id: int) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"{prefix()}{job_id}-", dir=base()))


def sweep() -> list[Path]:
    """Remove this instance's job folders whose jobs have ended; returns what it removed."""
    pattern = re.compile(rf"{re.escape(prefix())}(\d+)-\w+")
    folders: dict[int, list[Path]] = {}
    for folder in base().glob(f"{prefix()}*"):
        found = pattern.fullmatch(folder.name)
        # Only real folders of this user: /dev/shm is shared with everyone.
        if found and _own_folder(folder):
            folders.setdefault(int(found.group(1)), []).append(folder)
    if not folders:
        return []
    ended = db.session.scalars(
        select(Job.id).where(Job.id.in_(folders), Job.status.in_(FINISHED))
    ).all()
    removed = [folder for job_id in ended for folder in folders[job_id]]
    for folder in removed:
        shutil.rmtree(folder, ignore_errors=True)
    return removed


def _own_folder(path: Path) -> bool:
    return path.is_dir() and not path.is_symlink() and path.stat().st_uid == os.geteuid()
