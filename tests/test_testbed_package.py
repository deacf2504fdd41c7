"""The testbed is a distribution of its own (testbed/, `panel_testbed`): the panel's wheel, the one
production installs, holds none of it, and the panel imports none of it. Where the testbed is
installed (the development venv), `panel testbed` comes from it through the entry point group
panel.cli_plugins; where it is not, that command is simply not there."""

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path

import pytest
from click.testing import CliRunner
from deploy_wheels import snapshot

import panel_testbed
from panel.cli import main
from panel.cli_plugins import ENTRY_POINTS
from panel_testbed import cli as testbed_cli
from panel_testbed import image

ROOT = Path(__file__).resolve().parents[1]
TESTBED = "panel_testbed"
# `python -m panel.cli ARGS...`, then the names of the testbed's modules that were imported
# (also those of the package it used to be, panel/testbed/).
PROBE = (
    "import atexit, runpy, sys\n"
    "atexit.register(lambda: print('testbed modules:', sorted(name for name in sys.modules"
    " if name.split('.')[0] == 'panel_testbed' or name.startswith('panel.testbed'))))\n"
    "sys.argv = ['panel', *sys.argv[1:]]\n"
    "runpy.run_module('panel.cli', run_name='__main__', alter_sys=True)\n"
)


@pytest.fixture(autouse=True)
def transaction():
    """These tests use no database."""
    yield


def test_panel_wheel_holds_no_testbed(tmp_path):
    """The panel's wheel as tests/deploy_wheels.py builds it for playbooks/panel.yml, from a source
    that also has the testbed's folder beside the panel's, as a checkout has."""
    source = tmp_path / "source"
    snapshot(source)
    shutil.copytree(
        ROOT / "testbed", source / "testbed", ignore=shutil.ignore_patterns("*.egg-info")
    )
    wheels = tmp_path / "wheels"
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "--wheel-dir", wheels, source],
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stderr

    (wheel,) = wheels.glob("panel-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        (entry_points_file,) = [
            name for name in names if name.endswith(".dist-info/entry_points.txt")
        ]
        declared = archive.read(entry_points_file).decode()
    assert "panel/cli.py" in names
    assert "panel/cli_plugins.py" in names
    assert [name for name in names if "testbed" in name] == []
    assert "testbed" not in declared
    assert ENTRY_POINTS not in declared


def test_the_panel_without_the_testbed_has_no_testbed_command(tmp_path):
    python, env = _python_without_testbed(tmp_path)
    hidden = _run([python, "-c", f"import {TESTBED}"], env)
    assert hidden.returncode == 1
    assert f"No module named '{TESTBED}'" in hidden.stderr

    listed = _run([python, "-c", PROBE, "--help"], env)
    assert listed.returncode == 0, listed.stderr
    assert "  hosts " in listed.stdout
    assert "testbed" not in listed.stdout.replace("testbed modules: []", "")
    assert listed.stdout.endswith("testbed modules: []\n")

    missing = _run([python, "-m", "panel.cli", "testbed", "up", "--hosts", "1"], env)
    assert missing.returncode == 2
    assert "No such command 'testbed'" in missing.stderr


def test_the_testbed_command_comes_from_the_installed_testbed():
    listed = _run([sys.executable, "-m", "panel.cli", "--help"])
    assert listed.returncode == 0, listed.stderr
    assert "  testbed  " in listed.stdout

    result = CliRunner().invoke(main, ["testbed", "--help"])
    assert result.exit_code == 0, result.output
    for command in ("up", "status", "down"):
        assert f"  {command}  " in result.output
    (plugin,) = entry_points(group=ENTRY_POINTS, name="testbed")
    assert plugin.load() is testbed_cli.testbed


def test_the_panel_loads_the_testbed_only_for_its_command():
    other = _run([sys.executable, "-c", PROBE, "hosts", "--help"])
    assert other.returncode == 0, other.stderr
    assert other.stdout.endswith("testbed modules: []\n")

    named = _run([sys.executable, "-c", PROBE, "testbed", "--help"])
    assert named.returncode == 0, named.stderr
    assert f"'{TESTBED}.cli'" in named.stdout.splitlines()[-1]


def test_the_testbed_has_its_own_command():
    (script,) = entry_points(group="console_scripts", name="panel-testbed")
    assert script.load() is testbed_cli.testbed

    result = _run([sys.executable, "-m", TESTBED, "--help"])
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Usage: panel-testbed [OPTIONS] COMMAND")
    for command in ("up", "status", "down"):
        assert f"  {command}  " in result.stdout


def test_a_plugin_does_not_replace_a_command_of_the_panel(monkeypatch):
    impostor = EntryPoint(name="hosts", value="panel_testbed.cli:testbed", group=ENTRY_POINTS)
    monkeypatch.setattr("panel.cli_plugins.plugins", lambda: {"hosts": impostor})
    result = CliRunner().invoke(main, ["hosts", "--help"])
    assert result.exit_code == 0, result.output
    assert "The host inventory." in result.output


def test_the_image_needs_the_playbooks_package_list(monkeypatch, tmp_path):
    """It is read from the repository's checkout, next to the playbooks."""
    assert image.PACKAGE_LIST == ROOT / "playbooks" / "testbed-packages.txt"
    assert "nginx" in image.packages()

    monkeypatch.setattr(image, "PACKAGE_LIST", tmp_path / "testbed-packages.txt")
    with pytest.raises(panel_testbed.TestbedError, match=re.escape("pip install -e ./testbed")):
        image.packages()


def _python_without_testbed(folder: Path) -> tuple[str, dict[str, str]]:
    """A virtualenv whose site-packages links to everything this Python has installed except the
    testbed's distribution (its package, metadata and editable-install hooks), and an environment
    whose PYTHONPATH holds no folder with the testbed in it."""
    environment = folder / "venv"
    venv.EnvBuilder(symlinks=True, with_pip=False).create(environment)
    target = Path(
        sysconfig.get_path("purelib", vars={"base": str(environment), "platbase": str(environment)})
    )
    for site_packages in {Path(p) for p in sysconfig.get_paths().values() if "site-packages" in p}:
        for entry in site_packages.iterdir():
            if TESTBED not in entry.name and not (target / entry.name).exists():
                (target / entry.name).symlink_to(entry)
    testbed_roots = {str(Path(panel_testbed.__file__).resolve().parents[1])}
    path = [
        entry
        for entry in os.environ.get("PYTHONPATH", "").split(":")
        if entry and str(Path(entry).resolve()) not in testbed_roots
    ]
    return str(environment / "bin" / "python"), {**os.environ, "PYTHONPATH": ":".join(path)}


def _run(command: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
