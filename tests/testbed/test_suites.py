"""The testbed's Debian releases without booting anything: an image per suite, the suites of a
mixed fleet, and what `up` refuses before it touches the machine."""

import json

import pytest
from click.testing import CliRunner

import panel_testbed
from panel_testbed import cli, image, lifecycle
from panel_testbed import state as saved


@pytest.fixture(autouse=True)
def transaction():
    """These tests use no database."""
    yield


@pytest.fixture
def instance(tmp_path, monkeypatch):
    monkeypatch.setenv("PANEL_INSTANCE", str(tmp_path))
    monkeypatch.delenv(image.SUITE_VARIABLE, raising=False)
    return tmp_path


def test_each_suite_has_its_own_image_from_its_own_archive():
    assert image.DEFAULT_SUITE == "trixie"
    assert image.image_path("trixie") != image.image_path("bookworm")
    for suite in image.SUITES:
        assert [line.split()[2] for line in image.sources(suite)] == [
            suite,
            f"{suite}-updates",
            f"{suite}-security",
        ]


def test_a_suites_own_package_list_adds_to_the_common_one(tmp_path, monkeypatch):
    (tmp_path / "testbed-packages.txt").write_text("nginx\n\ncurl\n")
    (tmp_path / "testbed-packages-bookworm.txt").write_text("only-on-bookworm\n")
    monkeypatch.setattr(image, "PLAYBOOKS", tmp_path)
    monkeypatch.setattr(image, "PACKAGE_LIST", tmp_path / "testbed-packages.txt")
    assert "only-on-bookworm" in image.packages("bookworm")
    assert "only-on-bookworm" not in image.packages("trixie")
    assert {"nginx", "curl", "openssh-server"} <= set(image.packages("trixie"))
    assert image.image_key("trixie") != image.image_key("bookworm")


def test_hosts_take_one_suite_or_one_each():
    assert lifecycle.host_suites(3, ["bookworm"]) == ["bookworm"] * 3
    assert lifecycle.host_suites(2, ["trixie", "bookworm"]) == ["trixie", "bookworm"]
    with pytest.raises(panel_testbed.TestbedError, match="2 suites for 3 hosts"):
        lifecycle.host_suites(3, ["trixie", "bookworm"])
    with pytest.raises(panel_testbed.TestbedError, match="unknown suite 'sid'"):
        lifecycle.host_suites(1, ["sid"])


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--suite", "sid"], "unknown suite 'sid': choose from trixie, bookworm"),
        (["--suite", "trixie,bookworm", "--hosts", "3"], "2 suites for 3 hosts"),
        (["--role", "mail"], "'mail' is not one of"),
    ],
)
def test_up_refuses_a_bad_suite_or_role_and_changes_nothing(instance, arguments, message):
    result = CliRunner().invoke(cli.testbed, ["up", *arguments, "--no-register"])
    assert result.exit_code != 0
    assert message in result.output
    assert not (instance / "testbed").exists()


def test_up_takes_the_suite_from_the_environment(instance, monkeypatch):
    monkeypatch.setenv(image.SUITE_VARIABLE, "trixie,sid")
    result = CliRunner().invoke(cli.testbed, ["up", "--no-register"])
    assert result.exit_code != 0
    assert "unknown suite 'sid'" in result.output


def test_a_state_file_from_before_suites_describes_bookworm_hosts(instance):
    host = {
        "name": "pnltb1",
        "address": "198.18.0.11",
        "ssh_port": 22,
        "netns": "pnltb1",
        "netns_path": "/run/netns/pnltb1",
        "veth": "pnltb1",
        "veth_peer": "eth0",
        "pid": 1,
        "pid_start": 1,
        "cgroups": [],
        "mounts": [],
        "upper_dir": "/var/lib/panel-testbed/pnltb1/upper",
        "host_key": "ssh-ed25519 AAAA root@pnltb1",
        "fingerprint": "SHA256:x",
        "boot_seconds": 1.0,
    }
    old = {"image": "/var/cache/x/rootfs", "bridge": "pnltb-br", "gateway": "198.18.0.1"}
    saved.folder().mkdir(parents=True)
    saved.state_path().write_text(json.dumps({**old, "hosts": [host]}))
    (loaded,) = saved.load().hosts
    assert (loaded.name, loaded.suite) == ("pnltb1", "bookworm")


def test_a_new_image_prunes_only_its_own_suites_older_images(tmp_path, monkeypatch):
    monkeypatch.setattr(image, "CACHE_DIR", tmp_path)

    def built(name: str, suite: str | None) -> None:
        etc = tmp_path / name / "rootfs" / "etc"
        etc.mkdir(parents=True)
        if suite:
            (etc / "os-release").write_text(f'NAME="Debian"\nVERSION_CODENAME={suite}\n')

    built("new-trixie", "trixie")
    built("old-trixie", "trixie")
    built("bookworm", "bookworm")
    built("no-release", None)
    built("old.trixie.partial", None)
    built("building.bookworm.partial", None)

    image._prune("trixie", keep=tmp_path / "new-trixie")

    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "bookworm",
        "building.bookworm.partial",
        "new-trixie",
    ]
