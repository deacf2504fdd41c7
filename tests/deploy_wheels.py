"""The wheel folder playbooks/panel.yml installs the panel from (panel_wheel_dir): the panel's
wheel and its dependencies', built by the hosts' Python (trixie's python3.13 or bookworm's
python3.11: compiled wheels suit one of them only), in a virtualenv of its own. That Python is
the suite's testbed image's /usr/bin/python3, run in a container of the image (systemd-nspawn,
throwaway overlay, the machine's network for pip's downloads). Cached per suite: the
dependencies' wheels by the dependency list, the whole folder by pyproject.toml and the panel's
source. `python tests/deploy_wheels.py [SUITE]` prints the folder."""

import fcntl
import hashlib
import shutil
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

from panel_testbed.image import DEFAULT_SUITE, check_suite, ensure_image

REPO = Path(__file__).resolve().parents[1]
HOST_PYTHON = "/usr/bin/python3"
MACHINE_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"
# One per suite; the suite's name ends the folder's.
CACHE_PREFIX = Path.home() / ".cache" / "panel-deploy-wheels-"
# What the panel's wheel is built from; README.md is its long description.
SOURCE_FILES = ("pyproject.toml", "README.md")
SKIPPED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo")


def wheel_folder(suite: str = DEFAULT_SUITE) -> Path:
    """The folder of wheels for the current source and SUITE's hosts, built first unless
    cached."""
    cache = Path(f"{CACHE_PREFIX}{check_suite(suite)}")
    cache.mkdir(parents=True, exist_ok=True)
    with (cache / "build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        python = _HostPython(ensure_image(lambda line: print(line, file=sys.stderr), suite), cache)
        source = cache / "source"
        snapshot(source)
        venv = _build_venv(python)
        deps = _dependency_wheels(python, venv, source)
        folder = cache / f"wheels-{_digest(source, f'{venv.name} {deps.name}')}"
        if not folder.is_dir():
            staging = _fresh(cache / "wheels.partial")
            python.pip(venv, "wheel", "--no-deps", "--wheel-dir", str(staging), str(source))
            for wheel in deps.iterdir():
                (staging / wheel.name).hardlink_to(wheel)
            staging.rename(folder)
        _prune(cache, keep={source, venv, deps, folder})
    return folder


class _HostPython:
    """Commands run in a container of a testbed image, the cache folder writable at its own
    path inside; the image itself stays untouched (a tmpfs overlay takes every write)."""

    def __init__(self, image: Path, cache: Path) -> None:
        self.image = image
        self.cache = cache

    def run(self, *command: str) -> str:
        result = subprocess.run(
            [
                *("systemd-nspawn", "--quiet", "--register=no", "--keep-unit"),
                *("--volatile=overlay", "--console=pipe", "--resolv-conf=copy-host"),
                *("--timezone=off", "--link-journal=no", f"--directory={self.image}"),
                f"--machine=panel-wheels-{self.image.parent.name}",
                f"--bind={self.cache}",
                # pip downloads as this machine does, trusting what this machine trusts (a
                # proxy's CA among it, where there is one).
                f"--bind-ro={MACHINE_CA_BUNDLE}",
                "--setenv=PIP_NO_CACHE_DIR=1",
                *command,
            ],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise RuntimeError(
                f"{' '.join(command)} in {self.image} failed:\n{result.stdout}{result.stderr}"
            )
        return result.stdout

    def pip(self, venv: Path, *args: str) -> None:
        self.run(
            str(venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check", "-q", *args
        )


def snapshot(target: Path) -> None:
    """A copy of the source to build from: others may edit the tree meanwhile, and an in-tree
    build would leave build/ and panel.egg-info/ in it. Catalogs are compiled into the copy, as
    `make translations` does, so the wheel always carries them."""
    _fresh(target)
    for name in SOURCE_FILES:
        shutil.copy2(REPO / name, target / name)
    shutil.copytree(REPO / "panel", target / "panel", ignore=SKIPPED)
    catalogs = target / "panel" / "translations"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "-q", "compile", "-d", str(catalogs)],
        check=True,
    )


def _build_venv(python: _HostPython) -> Path:
    """A virtualenv of the hosts' Python, named after its version."""
    version = python.run(
        HOST_PYTHON, "-c", "import platform; print(platform.python_version())"
    ).strip()
    venv = python.cache / f"venv-{version}"
    complete = venv / "complete"
    if not complete.exists():
        python.run(HOST_PYTHON, "-m", "venv", "--clear", str(venv))
        complete.touch()
    return venv


def _dependency_wheels(python: _HostPython, venv: Path, source: Path) -> Path:
    """Wheels of everything the panel depends on, resolved for the hosts' Python; the panel's
    own wheel is built apart, so a change of its code rebuilds only that one. The versions are
    those the tests run with (this Python's), whichever Python the hosts have."""
    wanted = sorted(
        tomllib.loads((source / "pyproject.toml").read_text())["project"]["dependencies"]
    )
    pins = _tested_versions()
    folder = python.cache / f"deps-{_key(venv.name, *wanted, *pins)}"
    if not folder.is_dir():
        staging = _fresh(python.cache / "deps.partial")
        constraints = python.cache / "constraints.txt"
        constraints.write_text("".join(f"{pin}\n" for pin in pins))
        python.pip(
            venv, "wheel", "--wheel-dir", str(staging), "--constraint", str(constraints), *wanted
        )
        staging.rename(folder)
    return folder


def _tested_versions() -> list[str]:
    """NAME==VERSION of every distribution installed beside the tests, but the panel and its
    testbed (built from the source instead)."""
    own = {"panel", "panel-testbed"}
    found = {
        (dist.metadata["Name"] or "").lower(): dist.version for dist in metadata.distributions()
    }
    return sorted(f"{name}=={version}" for name, version in found.items() if name not in own)


def _key(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]


def _digest(folder: Path, name: str) -> str:
    """A key over NAME and every file's path and content below FOLDER."""
    digest = hashlib.sha256(name.encode() + b"\0")
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def _fresh(folder: Path) -> Path:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def _prune(cache: Path, keep: set[Path]) -> None:
    """Drop what earlier versions of the source or its dependency list left."""
    for path in cache.iterdir():
        if path.is_dir() and path not in keep:
            shutil.rmtree(path)


if __name__ == "__main__":
    print(wheel_folder(*sys.argv[1:2]))
