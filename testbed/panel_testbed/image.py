"""The Debian root filesystems the testbed hosts boot from, one per suite (SUITES), each built once
with mmdebstrap and cached under a key made from everything that goes into it."""

import fcntl
import hashlib
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from panel_testbed import TestbedError

CACHE_DIR = Path("/var/cache/panel-testbed")
# The testbed runs from the repository's checkout (installed editable from testbed/), so the
# playbooks' package list is read where the playbooks are: one list for every suite, and a
# testbed-packages-SUITE.txt beside it for what only that suite needs or names differently.
PLAYBOOKS = Path(__file__).resolve().parents[2] / "playbooks"
PACKAGE_LIST = PLAYBOOKS / "testbed-packages.txt"
# Debian's stable release first: it is the default. Production hosts run either.
SUITES = ("trixie", "bookworm")
DEFAULT_SUITE = SUITES[0]
# The suite (or per-host suites) `up` boots when --suite is not given; tests choose it with this.
SUITE_VARIABLE = "PANEL_TESTBED_SUITE"
# What makes a host at all: an init, SSH, and what Ansible needs on the far side (python3-apt
# for its apt module), and cron, which every Debian install has (its priority is "important"):
# the webspace hosts keep members from it. What the playbooks install lives in PACKAGE_LIST,
# next to them.
BASE_PACKAGES = (
    "cron",
    "systemd",
    "systemd-sysv",
    "dbus",
    "openssh-server",
    "python3",
    "python3-apt",
    "iproute2",
    "sudo",
    "procps",
)
# Installed but not enabled: together the two databases add about 2.5 s to a boot that otherwise
# takes 1 to 2 s, and some 135 MiB to a host that otherwise needs 40 MiB, while most hosts need
# neither; Redis and the Prometheus server only the panel's own host needs. The playbooks that
# use one enable and start it, as on a fresh production host.
DISABLED_UNITS = (
    "mariadb.service",
    "postgresql.service",
    "prometheus.service",
    "redis-server.service",
)
# Every host gets its own key at `up`; this makes sshd use only that one.
SSHD_CONFIG = (
    "# Testbed host: the one host key written at `panel testbed up`, keys only.\n"
    "HostKey /etc/ssh/ssh_host_ed25519_key\n"
    "PasswordAuthentication no\n"
    "KbdInteractiveAuthentication no\n"
)
# Raise when the customisation below changes, so that cached images are rebuilt.
IMAGE_FORMAT = "2"


def check_suite(suite: str) -> str:
    if suite not in SUITES:
        raise TestbedError(f"unknown suite {suite!r}: choose from {', '.join(SUITES)}")
    return suite


def sources(suite: str) -> tuple[str, ...]:
    """The suite's archive, its updates and its security updates, from the machine's usual
    mirror (deb.debian.org, as its own apt sources)."""
    return (
        f"deb http://deb.debian.org/debian {suite} main",
        f"deb http://deb.debian.org/debian {suite}-updates main",
        f"deb http://deb.debian.org/debian-security {suite}-security main",
    )


def package_lists(suite: str) -> list[Path]:
    """The lists of SUITE's packages: the common one and the suite's own, where it has one."""
    if not PACKAGE_LIST.is_file():
        raise TestbedError(
            f"{PACKAGE_LIST} is missing: install the testbed editable from the repository's "
            "checkout (pip install -e ./testbed)"
        )
    own = PLAYBOOKS / f"testbed-packages-{check_suite(suite)}.txt"
    return [PACKAGE_LIST, own] if own.is_file() else [PACKAGE_LIST]


def packages(suite: str = DEFAULT_SUITE) -> list[str]:
    """The base packages and the playbooks' packages (one a line in the package lists)."""
    listed = [
        line.strip() for path in package_lists(suite) for line in path.read_text().splitlines()
    ]
    return sorted(set(BASE_PACKAGES) | {name for name in listed if name})


def image_key(suite: str = DEFAULT_SUITE) -> str:
    digest = hashlib.sha256()
    parts = (IMAGE_FORMAT, suite, *sources(suite), *packages(suite), *DISABLED_UNITS, SSHD_CONFIG)
    for part in parts:
        digest.update(part.encode() + b"\0")
    return digest.hexdigest()[:16]


def image_path(suite: str = DEFAULT_SUITE) -> Path:
    return CACHE_DIR / image_key(suite) / "rootfs"


def ensure_image(report: Callable[[str], None], suite: str = DEFAULT_SUITE) -> Path:
    """SUITE's image's root directory, built first if the cache has none for its current key."""
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    root = image_path(check_suite(suite))
    # One lock per suite: a lane waiting for one suite's image does not wait for the other's.
    with (CACHE_DIR / f"build-{suite}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if root.is_dir():
            return root
        report(f"building the {suite} testbed image {root.parent.name} (once; takes a few minutes)")
        started = time.monotonic()
        staging = CACHE_DIR / f"{root.parent.name}.{suite}.partial"
        _remove_unmounted(staging)
        staging.mkdir()
        _mmdebstrap(suite, staging / "rootfs", staging / "build.log")
        _customise(staging / "rootfs")
        staging.rename(root.parent)
        report(f"{suite} image built in {time.monotonic() - started:.0f} s")
        _prune(suite, keep=root.parent)
    return root


def image_suite(root: Path) -> str | None:
    """The suite an image's root directory holds, from its /etc/os-release."""
    try:
        text = (root / "etc/os-release").read_text()
    except FileNotFoundError:
        return None
    for line in text.splitlines():
        name, _, value = line.partition("=")
        if name == "VERSION_CODENAME":
            return value.strip().strip('"')
    return None


def _mmdebstrap(suite: str, target: Path, log: Path) -> None:
    command = [
        "mmdebstrap",
        "--variant=minbase",
        '--aptopt=APT::Install-Recommends "false"',
        f"--include={','.join(packages(suite))}",
        suite,
        str(target),
        *sources(suite),
    ]
    with log.open("w") as output:
        result = subprocess.run(command, stdout=output, stderr=subprocess.STDOUT, check=False)
    if result.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-20:])
        raise TestbedError(f"mmdebstrap failed (log: {log}):\n{tail}")


def _customise(root: Path) -> None:
    """Make the image host-neutral: identity and keys are written per host at `up`."""
    for key in (root / "etc/ssh").glob("ssh_host_*"):
        key.unlink()
    (root / "etc/ssh/sshd_config.d/panel-testbed.conf").write_text(SSHD_CONFIG)
    (root / "etc/machine-id").write_text("")
    (root / "etc/hostname").write_text("localhost\n")
    (root / "etc/resolv.conf").unlink(missing_ok=True)
    # The hosts have no network and the image holds every package already: with no sources,
    # `apt-get update` on a host succeeds (with nothing to fetch) instead of failing per mirror.
    (root / "etc/apt/sources.list").write_text("")
    for entry in (root / "etc/apt/sources.list.d").glob("*"):
        entry.unlink()
    result = subprocess.run(
        ["systemctl", f"--root={root}", "disable", *DISABLED_UNITS],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise TestbedError(f"disabling {DISABLED_UNITS} in the image: {result.stderr.strip()}")


def _prune(suite: str, keep: Path) -> None:
    """Drop the suite's images of older keys that no mounted host still uses, and its unfinished
    builds (under the suite's lock none is under way); the other suites' images and builds
    stay."""
    for folder in CACHE_DIR.iterdir():
        if not folder.is_dir() or folder == keep or _mounted_below(folder):
            continue
        if folder.name.endswith(".partial"):
            ours = folder.name.endswith(f".{suite}.partial")
        else:
            ours = image_suite(folder / "rootfs") in (suite, None)
        if ours:
            shutil.rmtree(folder)


def _remove_unmounted(folder: Path) -> None:
    """Remove an earlier, unfinished build; an interrupted mmdebstrap may have left /proc or
    /dev mounted inside, and deleting through those would reach the machine's own."""
    if _mounted_below(folder):
        raise TestbedError(f"{folder} still has file systems mounted in it (see /proc/mounts)")
    shutil.rmtree(folder, ignore_errors=True)


def _mounted_below(folder: Path) -> bool:
    """Whether something is mounted at or below FOLDER, or uses it as an overlay layer."""
    return str(folder) in Path("/proc/mounts").read_text()
