"""A flat apt repository of one Debian suite, for tests that upgrade a host to that release.

The hosts have no route beyond the testbed, so a release upgrade needs its packages on the
testbed's own link. The repository holds what an image of the suite holds (the same package list
and everything it depends on), downloaded once by mmdebstrap and cached; a test serves the folder
over HTTP on the lane's gateway address and points the host's apt sources at it."""

import datetime
import fcntl
import hashlib
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from panel_testbed import TestbedError, image

# Beside the images' cache, not in it: the image cache keeps only folders of current images.
FOLDER = image.CACHE_DIR.with_name("panel-testbed-mirrors")
# Raise when the layout below changes, so that cached repositories are rebuilt.
MIRROR_FORMAT = "1"


def ensure_mirror(suite: str, report: Callable[[str], None]) -> Path:
    """The repository's folder (Packages, Release and the .deb files), built first if the cache
    has none for this suite, its sources and its package list."""
    sources = image.sources(image.check_suite(suite))
    FOLDER.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    for part in (MIRROR_FORMAT, suite, *sources, *image.packages(suite)):
        digest.update(part.encode() + b"\0")
    folder = FOLDER / f"{suite}-{digest.hexdigest()[:16]}"
    with (FOLDER / "build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (folder / "Release").is_file():
            return folder
        report(f"downloading the packages of {suite} for a local repository (once)")
        staging = folder.with_name(folder.name + ".partial")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        _download(suite, staging)
        _index(suite, staging)
        for old in FOLDER.glob(f"{suite}-*"):
            if old.is_dir() and old != staging:
                shutil.rmtree(old)
        staging.rename(folder)
    return folder


def sources_entry(url: str) -> str:
    """The deb822 stanza that points a host at a repository served at URL."""
    return f"Types: deb\nURIs: {url}\nSuites: ./\nTrusted: yes\n"


def _download(suite: str, folder: Path) -> None:
    # A throwaway chroot (format null) in which apt resolves and fetches the image's packages.
    # mmdebstrap deletes the essential packages' files once they are unpacked and empties apt's
    # cache at the end: the hooks copy the cache out before each.
    command = [
        "mmdebstrap",
        "--variant=minbase",
        "--format=null",
        '--aptopt=APT::Install-Recommends "false"',
        f"--include={','.join(image.packages(suite))}",
        "--skip=cleanup/apt/cache",
        f"--extract-hook=sync-out /var/cache/apt/archives {folder}",
        f"--customize-hook=sync-out /var/cache/apt/archives {folder}",
        suite,
        "/dev/null",
        *image.sources(suite),
    ]
    log = FOLDER / f"{suite}.log"
    with log.open("w") as output:
        result = subprocess.run(command, stdout=output, stderr=subprocess.STDOUT, check=False)
    if result.returncode != 0 or not any(folder.glob("*.deb")):
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-20:])
        raise TestbedError(f"mmdebstrap could not fetch {suite}'s packages (log: {log}):\n{tail}")
    for leftover in folder.iterdir():
        if leftover.is_dir():
            shutil.rmtree(leftover)
        elif not leftover.name.endswith(".deb"):
            leftover.unlink()


def _index(suite: str, folder: Path) -> None:
    """Packages and an unsigned Release, as apt wants them of a flat repository."""
    packages = subprocess.run(
        ["dpkg-scanpackages", "--multiversion", ".", "/dev/null"],
        cwd=folder,
        capture_output=True,
        check=False,
    )
    if packages.returncode != 0:
        raise TestbedError(f"dpkg-scanpackages: {packages.stderr.decode(errors='replace')}")
    (folder / "Packages").write_bytes(packages.stdout)
    date = datetime.datetime.now(datetime.UTC).strftime("%a, %d %b %Y %H:%M:%S UTC")
    checksum = hashlib.sha256(packages.stdout).hexdigest()
    (folder / "Release").write_text(
        f"Origin: panel-testbed\nLabel: panel-testbed\nSuite: {suite}\nCodename: {suite}\n"
        f"Date: {date}\nSHA256:\n {checksum} {len(packages.stdout)} Packages\n"
    )
