"""playbooks/library/webspace_path.py on this machine: the module root's tasks use to work inside
a webspace. It creates and checks folders and files below a root-owned folder without following
any symbolic link, gives them owner, mode and ACLs through their descriptors, and refuses a link
on the way with a reason in words, changing nothing where it points."""

import importlib.util
import os
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest

MODULE_FILE = Path(__file__).resolve().parents[2] / "playbooks" / "library" / "webspace_path.py"
SPEC = importlib.util.spec_from_file_location("webspace_path", MODULE_FILE)
webspace_path = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(webspace_path)


@pytest.fixture(autouse=True)
def transaction():
    """No database: the shared rolled-back session stays out."""
    yield None


@pytest.fixture
def base(tmp_path) -> Path:
    """A folder only root may change, as the homes' folder is (the tests run as root)."""
    assert os.geteuid() == 0, "the module's tests change owners: run them as root"
    folder = tmp_path / "homes"
    folder.mkdir(mode=0o711)
    folder.chmod(0o711)
    return folder


@pytest.fixture
def elsewhere(tmp_path) -> Path:
    """What a link points to: a folder with a file, which must never change."""
    folder = tmp_path / "etc"
    folder.mkdir()
    (folder / "passwd").write_text("root:x:0:0\n")
    return folder


def run(base: Path, path: str, check_mode: bool = False, **params) -> dict:
    values = {
        "base": str(base),
        "path": path,
        "state": "directory",
        "owner": "root",
        "group": "root",
        "mode": "0755",
        "content": "",
        "acl": {},
        "default_acl": {},
        "description": "the document root",
        **params,
    }
    return webspace_path.run(SimpleNamespace(check_mode=check_mode), values)


def refused(base: Path, path: str, **params) -> str:
    with pytest.raises(webspace_path.Refused) as caught:
        run(base, path, **params)
    return str(caught.value)


def state_of(folder: Path) -> list[tuple]:
    """Owner, mode and content of FOLDER and everything in it."""
    found = []
    for path in sorted([folder, *folder.rglob("*")]):
        info = path.lstat()
        content = path.read_bytes() if path.is_file() and not path.is_symlink() else b""
        found.append((str(path), info.st_uid, info.st_gid, info.st_mode, content))
    return found


def facl(path: Path) -> list[str]:
    result = subprocess.run(
        ["getfacl", "--omit-header", "--absolute-names", "--numeric", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return [line for line in result.stdout.splitlines() if line]


def test_missing_folders_are_created_with_their_owner_and_mode(base):
    result = run(base, "abc00/domains/site/htdocs", owner="nobody", group="nogroup", mode="2770")
    assert result == {"changed": True, "created": True, "exists": True}
    for folder in ("abc00", "abc00/domains", "abc00/domains/site", "abc00/domains/site/htdocs"):
        info = (base / folder).stat()
        assert (info.st_uid, info.st_gid) == (65534, 65534)
        assert info.st_mode & 0o7777 == 0o2770
    again = run(base, "abc00/domains/site/htdocs", owner="nobody", group="nogroup", mode="2770")
    assert again == {"changed": False, "created": False, "exists": True}


def test_the_last_folder_gets_its_owner_and_mode_back(base):
    run(base, "abc00/logs", owner="nobody", group="nogroup", mode="2770")
    (base / "abc00/logs").chmod(0o777)
    result = run(base, "abc00/logs", owner="nobody", group="nogroup", mode="2770")
    assert result == {"changed": True, "created": False, "exists": True}
    assert (base / "abc00/logs").stat().st_mode & 0o7777 == 0o2770


@pytest.mark.parametrize(
    "link",
    ["abc00/domains/site", "abc00/domains/site/htdocs", "abc00/domains"],
)
def test_a_link_on_the_way_is_refused_and_nothing_changes_where_it_points(base, elsewhere, link):
    run(base, "abc00/domains", owner="nobody", group="nogroup", mode="2770")
    (base / link).parent.mkdir(parents=True, exist_ok=True)
    if (base / link).is_dir():
        (base / link).rmdir()
    (base / link).symlink_to(elsewhere)
    before = state_of(elsewhere)
    message = refused(
        base, "abc00/domains/site/htdocs/more", owner="nobody", group="nogroup", mode="2770"
    )
    assert message == f"{base / link} is a symbolic link (to {elsewhere})"
    assert state_of(elsewhere) == before


def test_a_link_with_a_relative_target_is_refused_too(base, elsewhere):
    run(base, "abc00/domains", mode="0755")
    (base / "abc00/domains/up").symlink_to("../../../etc")
    assert (base / "abc00/domains/up").resolve() == elsewhere
    message = refused(base, "abc00/domains/up/htdocs")
    assert message.endswith("is a symbolic link (to ../../../etc)")
    assert not (elsewhere / "htdocs").exists()


def test_a_file_on_the_way_is_not_a_folder(base):
    run(base, "abc00")
    (base / "abc00/domains").write_text("a file\n")
    assert refused(base, "abc00/domains/site") == f"{base / 'abc00/domains'} is not a folder"


def test_a_new_file_is_written_once_and_never_over_anything(base, elsewhere):
    run(base, "abc00/htdocs", owner="nobody", group="nogroup", mode="2770")
    page = run(
        base,
        "abc00/htdocs/index.html",
        state="file",
        content="<h1>placeholder</h1>\n",
        owner="nobody",
        group="nogroup",
        mode="0660",
    )
    assert page == {"changed": True, "created": True, "exists": True}
    written = base / "abc00/htdocs/index.html"
    assert written.read_text() == "<h1>placeholder</h1>\n"
    info = written.stat()
    assert (info.st_uid, info.st_gid, info.st_mode & 0o7777) == (65534, 65534, 0o660)

    written.write_text("the member's page\n")
    again = run(base, "abc00/htdocs/index.html", state="file", content="<h1>placeholder</h1>\n")
    assert again == {"changed": False, "created": False, "exists": True}
    assert written.read_text() == "the member's page\n"

    # A link where the file would go: refused, and nothing written through it.
    (base / "abc00/htdocs/other.html").symlink_to(elsewhere / "passwd")
    before = state_of(elsewhere)
    message = refused(base, "abc00/htdocs/other.html", state="file", content="x")
    assert (
        message == f"{base / 'abc00/htdocs/other.html'} is a symbolic link (to {elsewhere}/passwd)"
    )
    assert state_of(elsewhere) == before


def test_a_check_refuses_links_and_tells_whether_the_path_exists(base, elsewhere):
    run(base, "archives", mode="0700")
    assert run(base, "archives/abc00.tar.gz", state="checked") == {
        "changed": False,
        "created": False,
        "exists": False,
    }
    (base / "archives/abc00.tar.gz").write_bytes(b"archive")
    assert run(base, "archives/abc00.tar.gz", state="checked")["exists"] is True
    (base / "archives/abc00.tar.gz").unlink()
    (base / "archives/abc00.tar.gz").symlink_to(elsewhere / "passwd")
    assert refused(base, "archives/abc00.tar.gz", state="checked").endswith(
        f"is a symbolic link (to {elsewhere}/passwd)"
    )
    # A missing folder on the way: nothing to check below it, nothing created.
    assert run(base, "nowhere/abc00.tar.gz", state="checked")["exists"] is False
    assert not (base / "nowhere").exists()


def test_acls_are_set_as_setfacl_would(base):
    run(base, "abc00", group="nogroup", mode="0750", acl={"nobody": "x"})
    assert facl(base / "abc00") == [
        "user::rwx",
        "user:65534:--x",
        "group::r-x",
        "mask::r-x",
        "other::---",
    ]
    domains = {"nobody": "rx"}
    run(base, "abc00/domains", mode="2770", acl=domains, default_acl=domains)
    expected = [
        "user::rwx",
        "user:65534:r-x",
        "group::rwx",
        "mask::rwx",
        "other::---",
    ]
    assert facl(base / "abc00/domains") == [*expected, *(f"default:{line}" for line in expected)]
    assert (base / "abc00/domains").stat().st_mode & 0o7777 == 0o2770
    again = run(base, "abc00/domains", mode="2770", acl=domains, default_acl=domains)
    assert again["changed"] is False
    # What is created below inherits the default ACL: nginx (here: nobody) may read it.
    run(base, "abc00/domains/site", mode="2770")
    assert "user:65534:r-x" in facl(base / "abc00/domains/site")


def test_check_mode_changes_nothing(base):
    result = run(base, "abc00/domains", check_mode=True)
    assert result == {"changed": True, "created": True, "exists": False}
    assert not (base / "abc00").exists()


@pytest.mark.parametrize("path", ["../etc", "abc00/../../etc", "/etc", "abc00//x", "abc00/./x"])
def test_paths_that_leave_the_base_are_refused(base, path):
    assert refused(base, path) == f"{path!r} is not a plain relative path"


def test_the_base_must_be_root_s_alone(base):
    os.chown(base, 65534, 65534)
    assert refused(base, "abc00") == f"{base} is not a folder that only root may change"
    os.chown(base, 0, 0)
    base.chmod(0o777)
    assert refused(base, "abc00") == f"{base} is not a folder that only root may change"
