"""The wheel folder playbooks/panel.yml installs the panel from (panel_wheel_dir): the panel's
wheel and its dependencies', built by the hosts' Python, Debian bookworm's /usr/bin/python3, in a
virtualenv of its own. Cached: the dependencies' wheels by the dependency list, the whole folder
by pyproject.toml and the panel's source. `python tests/deploy_wheels.py` prints the folder."""

import fcntl
import hashlib
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
HOST_PYTHON = "/usr/bin/python3"
CACHE = Path.home() / ".cache" / "panel-deploy-wheels"
# What the panel's wheel is built from; README.md is its long description.
SOURCE_FILES = ("pyproject.toml", "README.md")
SKIPPED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo")


def wheel_folder() -> Path:
    """The folder of wheels for the current source, built first unless cached."""
    CACHE.mkdir(parents=True, exist_ok=True)
    with (CACHE / "build.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        source = CACHE / "source"
        snapshot(source)
        venv = _build_venv()
        deps = _dependency_wheels(venv, source)
        folder = CACHE / f"wheels-{_digest(source, venv.name)}"
        if not folder.is_dir():
            staging = _fresh(CACHE / "wheels.partial")
            _pip(venv, "wheel", "--no-deps", "--wheel-dir", str(staging), str(source))
            for wheel in deps.iterdir():
                (staging / wheel.name).hardlink_to(wheel)
            staging.rename(folder)
        _prune(keep={source, venv, deps, folder})
    return folder


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


def _build_venv() -> Path:
    """A virtualenv of the hosts' Python, named after its version."""
    version = subprocess.run(
        [HOST_PYTHON, "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    venv = CACHE / f"venv-{version}"
    complete = venv / "complete"
    if not complete.exists():
        subprocess.run([HOST_PYTHON, "-m", "venv", "--clear", str(venv)], check=True)
        complete.touch()
    return venv


def _dependency_wheels(venv: Path, source: Path) -> Path:
    """Wheels of everything the panel depends on, resolved for the hosts' Python; the panel's
    own wheel is built apart, so a change of its code rebuilds only that one."""
    wanted = sorted(
        tomllib.loads((source / "pyproject.toml").read_text())["project"]["dependencies"]
    )
    folder = CACHE / f"deps-{_key(venv.name, *wanted)}"
    if not folder.is_dir():
        staging = _fresh(CACHE / "deps.partial")
        _pip(venv, "wheel", "--wheel-dir", str(staging), *wanted)
        staging.rename(folder)
    return folder


def _pip(venv: Path, *args: str) -> None:
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "--disable-pip-version-check", "-q", *args],
        check=True,
    )


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


def _prune(keep: set[Path]) -> None:
    """Drop what earlier versions of the source or its dependency list left."""
    for path in CACHE.iterdir():
        if path.is_dir() and path not in keep:
            shutil.rmtree(path)


if __name__ == "__main__":
    print(wheel_folder())
