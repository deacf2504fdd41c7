"""Testbed fixtures: a real two-host testbed (root, systemd-nspawn, the cached Debian image) in an
instance folder of its own, taken down again at the end."""

import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner
from testbed_lock import machine_lock, torn_down_on_sigterm

from panel_testbed import PREFIX, machine
from panel_testbed import ssh as testbed_ssh
from panel_testbed import state as saved
from panel_testbed.cli import testbed as testbed_command


@pytest.fixture(scope="module")
def instance(tmp_path_factory):
    """An instance folder of its own, held with the machine's one testbed for the module."""
    with torn_down_on_sigterm(), machine_lock(), pytest.MonkeyPatch.context() as patch:
        folder = tmp_path_factory.mktemp("instance")
        patch.setenv("PANEL_INSTANCE", str(folder))
        patch.delenv("PANEL_SECRET_KEY", raising=False)
        yield folder


def run_testbed(*args: str):
    return CliRunner().invoke(testbed_command, list(args), catch_exceptions=False)


def find_leftovers() -> dict[str, list[str]]:
    """Whatever of a testbed exists on the machine, found by the name prefix with the system's
    own tools rather than the testbed's code."""

    def ours(lines: list[str]) -> list[str]:
        return [line for line in lines if PREFIX in line]

    def output(*command: str) -> list[str]:
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        return result.stdout.splitlines()

    in_cgroups = []
    for path in Path("/proc").glob("[0-9]*/cgroup"):
        try:
            if f"/{PREFIX}/" in path.read_text():
                in_cgroups.append(path.parent.name)
        except (FileNotFoundError, ProcessLookupError):
            continue
    return {
        "namespaces": ours(output("ip", "netns", "list")),
        "links": ours(output("ip", "-o", "link", "show")),
        "mounts": ours(Path("/proc/mounts").read_text().splitlines()),
        "nspawn": ours(output("pgrep", "-a", "systemd-nspawn")),
        "processes in testbed cgroups": in_cgroups,
        "cgroups": ours([str(path) for path in Path("/sys/fs/cgroup").glob("*/*")]),
        "host dirs": [str(path) for path in machine.RUN_DIR.glob(f"{PREFIX}*")],
    }


@pytest.fixture(scope="module")
def testbed(instance):
    """Two running hosts; the module's last test takes them down, this makes sure of it. They are
    registered but not set up (no baseline, no agent): the baseline's firewall would keep them
    from reaching each other, and tests/metering/test_onboarding_testbed.py tests the setup."""
    assert not any(find_leftovers().values()), "a testbed is already up on this machine"
    result = run_testbed("up", "--hosts", "2", "--no-setup")
    assert result.exit_code == 0, result.output
    yield saved.load()
    run_testbed("down")


@pytest.fixture
def invoke():
    """`panel testbed ARGS...` through click's test runner."""
    return run_testbed


@pytest.fixture
def leftovers():
    """What of a testbed exists on the machine, by kind."""
    return find_leftovers


@pytest.fixture(scope="module")
def panel_key(testbed):
    return testbed_ssh.panel_key()


@pytest.fixture
def on_host(testbed):
    """Run a command on a host as root over SSH, host key checked against known_hosts."""

    def run(host: saved.Host, command: str) -> tuple[int, str]:
        return testbed_ssh.run_on(host.address, host.ssh_port, command, saved.known_hosts_path())

    return run
