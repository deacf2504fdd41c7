"""The wheel folder playbooks/bbblb.yml installs BBBLB from (bbblb_wheel_dir): the wheels of every
package in playbooks/roles/bbblb/files/requirements.txt, for the hosts' Python (trixie's
python3.13 on x86_64 Linux), downloaded by this machine's pip (PyPI through its configured index)
with only binary wheels for that platform. Cached by the requirements' content.
`python tests/bbblb_wheels.py` prints the folder."""

import fcntl
import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
REQUIREMENTS = REPO / "playbooks" / "roles" / "bbblb" / "files" / "requirements.txt"
CACHE = Path.home() / ".cache" / "panel-bbblb-wheels"
# BBBLB needs Python 3.13 or later: Debian trixie's. Its compiled dependencies come as manylinux
# wheels; trixie's glibc (2.41) runs every one of these tags.
PYTHON_VERSION = "3.13"
PLATFORMS = (
    "manylinux_2_28_x86_64",
    "manylinux_2_17_x86_64",
    "manylinux2014_x86_64",
    "manylinux_2_5_x86_64",
    "manylinux1_x86_64",
)
DOWNLOAD_TIMEOUT = 600


def wheel_folder() -> Path:
    """The folder of wheels for the current requirements, downloaded first unless cached."""
    CACHE.mkdir(parents=True, exist_ok=True)
    with (CACHE / "download.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        key = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()[:16]
        folder = CACHE / f"wheels-{key}"
        if not folder.is_dir():
            staging = CACHE / "wheels.partial"
            shutil.rmtree(staging, ignore_errors=True)
            _download(staging)
            staging.rename(folder)
        for path in CACHE.iterdir():
            if path.is_dir() and path != folder:
                shutil.rmtree(path)
    return folder


def _download(target: Path) -> None:
    result = subprocess.run(
        [
            *(sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check"),
            *("--dest", str(target), "--only-binary=:all:"),
            *("--python-version", PYTHON_VERSION, "--implementation", "cp"),
            *(f"--platform={platform}" for platform in PLATFORMS),
            *("--requirement", str(REQUIREMENTS)),
        ],
        capture_output=True,
        text=True,
        timeout=DOWNLOAD_TIMEOUT,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"pip download of BBBLB's wheels failed:\n{result.stderr}")


if __name__ == "__main__":
    print(wheel_folder())
