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
    shm = Path("/dev/shm")  # noqa: S108  # nosec B108  # mkdtemp: random names, mode 0700
    return shm if os.access(shm, os.W_OK) else Path(tempfile.gettempdir())


def prefix() -> str:
    # Two panels on one machine number their jobs alike; the instance tells their folders apart.
    instance = hashlib.sha256(current_app.instance_path.encode()).hexdigest()[:10]
    return f"panel-job-{instance}-"


def job_folder(job_id: int) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"{prefix()}{job_id}-", dir=base()))


def remove(job_id: int) -> list[Path]:
    """Remove the job's folders on this machine; returns what it removed."""
    found = [folder for folder in base().glob(f"{prefix()}{job_id}-*") if _own_folder(folder)]
    for folder in found:
        shutil.rmtree(folder, ignore_errors=True)
    return found


def sweep() -> list[Path]:
    """Remove this instance's job folders whose jobs have ended; returns what it removed."""
    pattern = re.compile(rf"{re.escape(prefix())}(\d+)-\w+")
    found = {int(match.group(1)) for match in map(pattern.fullmatch, _names()) if match}
    if not found:
        return []
    ended = db.session.scalars(
        select(Job.id).where(Job.id.in_(found), Job.status.in_(FINISHED))
    ).all()
    return [folder for job_id in ended for folder in remove(job_id)]


def _names() -> list[str]:
    return [folder.name for folder in base().glob(f"{prefix()}*")]


def _own_folder(path: Path) -> bool:
    # Only real folders of this user: /dev/shm is shared with everyone.
    return path.is_dir() and not path.is_symlink() and path.stat().st_uid == os.geteuid()
