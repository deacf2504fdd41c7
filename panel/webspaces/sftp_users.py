"""Every change to a webspace's SFTP/SSH users: create, change keys or jail, remove."""

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from panel.core.audit import record, snapshot
from panel.core.errors import Conflict
from panel.core.validators import reject_unknown
from panel.extensions import db
from panel.provisioning.models import Job
from panel.provisioning.operations import commit_and_dispatch, ensure_idle
from panel.webspaces.changes import queue_change
from panel.webspaces.guards import check_limit, ensure_usable
from panel.webspaces.models import Desired, SftpUser, Webspace
from panel.webspaces.names import clean_flag, clean_public_keys, clean_user_name

FIELDS = ("name", "webspace_id", "chroot", "state", "desired")


def sftp_user_vars(user: SftpUser, desired: Desired) -> dict[str, Any]:
    """The extra vars of playbooks/sftp-user.yml: a user of a webspace that is not active is
    created unable to log in."""
    return {
        "webspace_name": user.webspace.name,
        "webspace_state": user.webspace.desired,
        "sftp_user_name": user.name,
        "sftp_user_keys": user.keys,
        "sftp_user_chroot": user.chroot,
        "sftp_user_state": desired.value,
    }


def create_sftp_user(
    webspace: Webspace, name: Any, public_keys: Any, chroot: Any = False
) -> tuple[SftpUser, Job]:
    name = clean_user_name("name", name, webspace.name)
    keys = clean_public_keys("public_keys", public_keys)
    chroot = clean_flag("chroot", chroot)
    ensure_usable(webspace)
    check_limit(webspace, "max_users")
    if db.session.scalar(select(SftpUser.id).where(SftpUser.name == name)) is not None:
        raise Conflict(_l("This user name is taken."), {"name": [_l("Taken.")]})
    user = SftpUser(
        webspace=webspace,
        member_id=webspace.member_id,
        name=name,
        public_keys="\n".join(keys),
        chroot=chroot,
    )
    db.session.add(user)
    db.session.flush()
    job = queue_change(user, Desired.ACTIVE, sftp_user_vars(user, Desired.ACTIVE))
    record("sftp_user.create", user, after=snapshot(user, FIELDS), member_id=user.member_id)
    commit_and_dispatch(job)
    return user, job


def update_sftp_user(user: SftpUser, data: dict[str, Any]) -> tuple[SftpUser, Job]:
    reject_unknown(data, ("public_keys", "chroot"))
    keys = clean_public_keys("public_keys", data.get("public_keys", user.public_keys))
    chroot = clean_flag("chroot", data.get("chroot", user.chroot))
    ensure_idle(user)
    if user.desired == Desired.ABSENT:
        raise Conflict(_l("The user is being removed."))
    before = snapshot(user, FIELDS)
    user.public_keys = "\n".join(keys)
    user.chroot = chroot
    return _move(user, Desired.ACTIVE, "sftp_user.update", before)


def remove_sftp_user(user: SftpUser) -> tuple[SftpUser, Job]:
    """The login ends; files the user wrote stay in the webspace."""
    ensure_idle(user)
    if user.desired == Desired.ABSENT:
        raise Conflict(_l("The user is being removed."))
    return _move(user, Desired.ABSENT, "sftp_user.delete", snapshot(user, FIELDS))


def _move(user: SftpUser, desired: Desired, action: str, before: dict) -> tuple[SftpUser, Job]:
    """The job that takes the user to DESIRED, audited as ACTION, committed and queued."""
    job = queue_change(user, desired, sftp_user_vars(user, desired))
    after = snapshot(user, FIELDS)
    record(action, user, before=before, after=after, member_id=user.member_id)
    commit_and_dispatch(job)
    return user, job
