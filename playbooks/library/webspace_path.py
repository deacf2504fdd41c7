#!/usr/bin/python3
"""A path below a folder only root may change, walked without following any symbolic link: the
way tasks that run as root work inside a webspace, whose member may have replaced any folder
there with a link to /etc or to another webspace."""

import contextlib
import errno
import grp
import os
import pwd
import stat
import struct

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
module: webspace_path
short_description: Create or check a path in a webspace without following symbolic links
description:
  - Walks I(path) below I(base) one component at a time, opening each with O_NOFOLLOW relative
    to the folder before it, and works on the open descriptors only (mkdir at the folder's
    descriptor, fchown, fchmod, ACLs set on the descriptor). A component that is a symbolic link
    or not a folder fails the task with a reason in words and changes nothing there.
  - I(base) must be a folder owned by root that no one else may write to.
options:
  base:
    description: Absolute path of the root-owned folder the walk starts from.
    type: path
    required: true
  path:
    description: Path below I(base), without C(..), C(.) or empty components.
    type: str
    required: true
  state:
    description:
      - C(directory) creates the missing folders (each with I(owner), I(group) and I(mode)) and
        gives the last one these attributes and ACLs.
      - C(file) creates the last component as a file with I(content) unless something of that
        name exists already (never overwritten).
      - C(checked) only checks that no component is a symbolic link and that all but the last
        are folders; the last may be missing.
    type: str
    choices: [directory, file, checked]
    default: directory
  owner:
    description: User name of what is created, and of the last folder.
    type: str
    default: root
  group:
    description: Group name of what is created, and of the last folder.
    type: str
    default: root
  mode:
    description: Octal mode of what is created, and of the last folder.
    type: str
    default: "0755"
  content:
    description: Text of the file (state C(file)).
    type: str
    default: ""
  acl:
    description: Named users and their permissions (C(r), C(w), C(x)) in the last folder's ACL.
    type: dict
    default: {}
  default_acl:
    description: Named users and their permissions in the last folder's default ACL.
    type: dict
    default: {}
  description:
    description: Words naming the path in a failure message, e.g. "the document root".
    type: str
    default: the path
"""

RETURN = r"""
created:
  description: Whether the last component was created by this run.
  type: bool
  returned: always
exists:
  description: Whether the last component exists (after the run).
  type: bool
  returned: always
"""

# POSIX ACLs as the kernel keeps them in the system.posix_acl_* attributes
# (linux/posix_acl_xattr.h): a version header, then (tag, permissions, id) entries in tag order.
ACL_VERSION = 2
USER_OBJ, USER, GROUP_OBJ, GROUP, MASK, OTHER = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20
NO_ID = 0xFFFFFFFF
ACCESS, DEFAULT = "system.posix_acl_access", "system.posix_acl_default"
PERMISSION_BITS = {"r": 4, "w": 2, "x": 1}
DIRECTORY_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class Refused(Exception):
    """The path cannot be used safely: the message says why, in words."""


def permissions(text):
    if not set(text) <= set(PERMISSION_BITS) or not text:
        raise Refused(f"{text!r} is not a set of permissions (r, w, x)")
    return sum(PERMISSION_BITS[letter] for letter in set(text))


def read_acl(fd, name):
    """The ACL stored under NAME as {(tag, id): permissions}, or None when there is none."""
    try:
        data = os.getxattr(fd, name)
    except OSError as exc:
        if exc.errno in (errno.ENODATA, errno.EOPNOTSUPP):
            return None
        raise
    entries = {}
    for offset in range(4, len(data), 8):
        tag, perm, ident = struct.unpack_from("<HHI", data, offset)
        entries[(tag, ident)] = perm
    return entries


def base_entries(mode):
    return {
        (USER_OBJ, NO_ID): (mode >> 6) & 7,
        (GROUP_OBJ, NO_ID): (mode >> 3) & 7,
        (OTHER, NO_ID): mode & 7,
    }


def with_users(entries, users):
    """ENTRIES with the named USERS ({uid: permissions}) set and the mask recomputed as setfacl
    does: the union of the group class."""
    result = {key: value for key, value in entries.items() if key[0] != MASK}
    for uid, perm in users.items():
        result[(USER, uid)] = perm
    named = [key for key in result if key[0] in (USER, GROUP)]
    if named:
        mask = 0
        for key in (*named, (GROUP_OBJ, NO_ID)):
            mask |= result[key]
        result[(MASK, NO_ID)] = mask
    return result


def encode_acl(entries):
    packed = struct.pack("<I", ACL_VERSION)
    for (tag, ident), perm in sorted(entries.items()):
        packed += struct.pack("<HHI", tag, perm, ident)
    return packed


class Walk:
    """The descriptors of one walk below the base; closed at the end."""

    def __init__(self, module, base, parts):
        self.module = module
        self.base = base
        self.parts = parts
        self.fds = []
        self.changed = False

    def close(self):
        for fd in self.fds:
            os.close(fd)

    def shown(self, count):
        return os.path.join(self.base, *self.parts[:count])

    def refuse_link(self, parent, index):
        name = self.parts[index]
        try:
            target = os.readlink(name, dir_fd=parent)[:200]
        except OSError:
            target = "?"
        raise Refused(f"{self.shown(index + 1)} is a symbolic link (to {target})")

    def open_base(self):
        try:
            fd = os.open(self.base, DIRECTORY_FLAGS)
        except OSError as exc:
            raise Refused(f"{self.base} is not a folder ({exc.strerror})") from None
        self.fds.append(fd)
        info = os.fstat(fd)
        if info.st_uid != 0 or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            raise Refused(f"{self.base} is not a folder that only root may change")
        return fd

    def open_folder(self, parent, index):
        """The folder PARTS[INDEX] in PARENT; None when it is missing."""
        try:
            fd = os.open(self.parts[index], DIRECTORY_FLAGS, dir_fd=parent)
        except FileNotFoundError:
            return None
        except OSError as exc:
            # O_NOFOLLOW with O_DIRECTORY: ENOTDIR for a link as for a file, ELOOP elsewhere.
            if exc.errno not in (errno.ELOOP, errno.ENOTDIR):
                raise
            info = os.stat(self.parts[index], dir_fd=parent, follow_symlinks=False)
            if stat.S_ISLNK(info.st_mode):
                self.refuse_link(parent, index)
            raise Refused(f"{self.shown(index + 1)} is not a folder") from None
        self.fds.append(fd)
        return fd

    def make_folder(self, parent, index, owner, group, mode):
        """Create PARTS[INDEX] in PARENT and give it its attributes through its descriptor."""
        self.changed = True
        if self.module.check_mode:
            return None
        with contextlib.suppress(FileExistsError):
            os.mkdir(self.parts[index], 0o700, dir_fd=parent)
        # Opened anew without following: someone may have put a link there meanwhile.
        fd = self.open_folder(parent, index)
        if fd is None:
            raise Refused(f"{self.shown(index + 1)} vanished while it was created")
        os.fchown(fd, owner, group)
        os.fchmod(fd, mode)
        return fd

    def settle(self, fd, owner, group, mode):
        """Owner, group and mode of the folder FD."""
        info = os.fstat(fd)
        if (info.st_uid, info.st_gid) != (owner, group):
            self.changed = True
            if not self.module.check_mode:
                os.fchown(fd, owner, group)
        if stat.S_IMODE(info.st_mode) != mode:
            self.changed = True
            if not self.module.check_mode:
                os.fchmod(fd, mode)

    def set_acl(self, fd, name, users, base):
        if not users:
            return
        current = read_acl(fd, name)
        wanted = with_users(current or base, users)
        if current != wanted:
            self.changed = True
            if not self.module.check_mode:
                os.setxattr(fd, name, encode_acl(wanted))


def ids(owner, group):
    try:
        return pwd.getpwnam(owner).pw_uid, grp.getgrnam(group).gr_gid
    except KeyError as exc:
        raise Refused(f"no such user or group: {exc.args[0]}") from None


def user_ids(users):
    result = {}
    for name, perm in users.items():
        try:
            result[pwd.getpwnam(name).pw_uid] = permissions(perm)
        except KeyError:
            raise Refused(f"no such user: {name}") from None
    return result


def split(path):
    parts = path.split("/")
    if path.startswith("/") or any(part in ("", ".", "..") for part in parts):
        raise Refused(f"{path!r} is not a plain relative path")
    return parts


def run(module, params):
    """Walk, create and check as PARAMS say; returns the result for exit_json."""
    state = params["state"]
    walk = Walk(module, params["base"], split(params["path"]))
    owner, group = ids(params["owner"], params["group"])
    mode = int(params["mode"], 8)
    created = False
    try:
        fd = walk.open_base()
        last = len(walk.parts) - 1
        for index in range(len(walk.parts)):
            if index == last and state != "directory":
                return finish_last(walk, fd, state, params, owner, group, mode)
            child = walk.open_folder(fd, index)
            if child is None:
                if state == "checked":
                    return {"changed": False, "created": False, "exists": False}
                child = walk.make_folder(fd, index, owner, group, mode)
                created = index == last
                if child is None:  # check mode: nothing below it exists either
                    return {"changed": True, "created": state == "directory", "exists": False}
            fd = child
        walk.settle(fd, owner, group, mode)
        access = read_acl(fd, ACCESS) or base_entries(os.fstat(fd).st_mode)
        walk.set_acl(fd, ACCESS, user_ids(params["acl"]), access)
        base = {key: value for key, value in access.items() if key[0] in (USER_OBJ, GROUP_OBJ)}
        base[(OTHER, NO_ID)] = access[(OTHER, NO_ID)]
        walk.set_acl(fd, DEFAULT, user_ids(params["default_acl"]), base)
        return {"changed": walk.changed, "created": created, "exists": True}
    finally:
        walk.close()


def finish_last(walk, parent, state, params, owner, group, mode):
    """The last component of a file or a check: never followed, never overwritten."""
    index = len(walk.parts) - 1
    name = walk.parts[index]
    try:
        info = os.stat(name, dir_fd=parent, follow_symlinks=False)
    except FileNotFoundError:
        info = None
    if info is not None and stat.S_ISLNK(info.st_mode):
        walk.refuse_link(parent, index)
    if state == "checked" or info is not None:
        return {"changed": False, "created": False, "exists": info is not None}
    if walk.module.check_mode:
        return {"changed": True, "created": True, "exists": False}
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fd = os.open(name, flags, mode, dir_fd=parent)
    except FileExistsError:
        # Someone was quicker: what they put there stays, and nothing is written through it.
        return {"changed": False, "created": False, "exists": True}
    with os.fdopen(fd, "wb") as handle:
        os.fchown(fd, owner, group)
        os.fchmod(fd, mode)
        handle.write(params["content"].encode())
    return {"changed": True, "created": True, "exists": True}


def main():
    module = AnsibleModule(
        argument_spec={
            "base": {"type": "path", "required": True},
            "path": {"type": "str", "required": True},
            "state": {
                "type": "str",
                "default": "directory",
                "choices": ["directory", "file", "checked"],
            },
            "owner": {"type": "str", "default": "root"},
            "group": {"type": "str", "default": "root"},
            "mode": {"type": "str", "default": "0755"},
            "content": {"type": "str", "default": ""},
            "acl": {"type": "dict", "default": {}},
            "default_acl": {"type": "dict", "default": {}},
            "description": {"type": "str", "default": "the path"},
        },
        supports_check_mode=True,
    )
    params = module.params
    try:
        module.exit_json(**run(module, params))
    except Refused as exc:
        module.fail_json(
            msg=(
                f"{params['description'][:1].upper()}{params['description'][1:]}, "
                f"{os.path.join(params['base'], params['path'])}, cannot be used: {exc}. "
                "The panel follows no symbolic link in a webspace and changed nothing there: "
                "make it a real folder (or remove the link) and run the job again."
            ),
            created=False,
            exists=False,
        )


if __name__ == "__main__":
    main()
