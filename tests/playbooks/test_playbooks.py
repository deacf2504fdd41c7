"""The playbooks and the Vagrantfile: lint, syntax, a real local run, and no host key bypass."""

import os
import platform
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import ansible_runner
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOKS = ROOT / "playbooks"
BIN = Path(sys.executable).parent
PLAYBOOK_FILES = sorted(PLAYBOOKS.glob("*.yml"))

# Spellings that turn SSH host key checking off, in ssh options, Ansible settings and paramiko.
BYPASSES = [
    re.compile(r"StrictHostKeyChecking\W{0,3}(no|off|accept-new)\b", re.IGNORECASE),
    re.compile(r"host_key_checking\W{0,8}(false|no|off|0)\b", re.IGNORECASE),
    re.compile(r"UserKnownHostsFile\W{0,3}/dev/null", re.IGNORECASE),
    re.compile(r"\b(AutoAddPolicy|WarningPolicy)\b"),
]
SCANNED_SUFFIXES = {".py", ".yml", ".yaml", ".cfg", ".ini", ".j2", ".sh", ".toml", ".conf", ".txt"}


def _tool(name: str) -> str:
    path = BIN / name
    if not path.exists():
        pytest.fail(f"{name} is missing from {BIN}: install ansible-lint/ansible into the venv")
    return str(path)


def _run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    env = {**os.environ, "ANSIBLE_CONFIG": str(PLAYBOOKS / "ansible.cfg"), "NO_COLOR": "1"}
    env.update(kwargs.pop("env", {}))
    return subprocess.run(
        args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, **kwargs
    )


def bypasses_in(text: str) -> list[str]:
    """The lines of text that disable host key checking."""
    return [line for line in text.splitlines() if any(p.search(line) for p in BYPASSES)]


def test_ansible_lint_passes_with_the_production_profile():
    result = _run([_tool("ansible-lint"), "playbooks/"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Profile 'production' was required, and it passed" in result.stdout + result.stderr


def test_every_action_has_a_playbook():
    names = {path.stem for path in PLAYBOOK_FILES}
    assert {"ping", "apt-upgrade", "reboot", "base", "panel", "bbb-server"} <= names


@pytest.mark.parametrize("playbook", PLAYBOOK_FILES, ids=lambda path: path.name)
def test_playbook_syntax(playbook):
    result = _run([_tool("ansible-playbook"), "--syntax-check", "-i", "localhost,", str(playbook)])
    assert result.returncode == 0, result.stdout + result.stderr


def test_vagrantfile_validates(tmp_path):
    vagrant = shutil.which("vagrant")
    if vagrant is None:
        pytest.fail("vagrant is not installed: `apt-get install -y vagrant` (make debian-packages)")
    # Vagrant's machine folder goes to tmp_path instead of .vagrant/ in the repository.
    result = _run(
        [vagrant, "validate", "--ignore-provider"], env={"VAGRANT_DOTFILE_PATH": str(tmp_path)}
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Vagrantfile validated successfully" in result.stdout


def _ping(private_data_dir: Path):
    """ping.yml through ansible-runner against this machine (local connection only)."""
    private_data_dir.mkdir()
    return ansible_runner.run(
        private_data_dir=str(private_data_dir),
        project_dir=str(PLAYBOOKS),
        playbook="ping.yml",
        inventory=f"localhost ansible_connection=local ansible_python_interpreter={sys.executable}",
        # ansible-runner looks ansible-playbook up on PATH: the venv's, as the panel's worker does.
        envvars={
            "ANSIBLE_CONFIG": str(PLAYBOOKS / "ansible.cfg"),
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        },
        quiet=True,
        timeout=300,
    )


def test_ping_reports_the_host_and_changes_nothing_twice(tmp_path):
    for attempt in ("first", "second"):
        run = _ping(tmp_path / attempt)
        assert run.status == "successful", run.stdout.read()
        assert run.stats["changed"] == {}
        assert run.stats["ok"] == {"localhost": 3}
        final = next(e for e in run.events if e["event"] == "playbook_on_stats")
        host = final["event_data"]["artifact_data"]["hosts"]["localhost"]
        # The keys and types of the panel's host facts (panel.hosts.operations).
        assert host["cpus"] >= 1
        assert host["memory_bytes"] > 2**20
        assert host["os"].strip()
        assert host["disk_bytes"] >= host["disk_free_bytes"] > 0
        assert host["release"] == platform.freedesktop_os_release()["VERSION_CODENAME"]
        assert host["security_updates"] >= 0


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# How each strategy shows the ssh command lines it runs: Ansible's ssh plugin at -vvvv, mitogen
# in its debug log.
SSH_LINES = {"linear": "SSH: EXEC ssh", "mitogen_linear": "mitogen.parent: command line for"}


def _ssh_commands(playbook: Path, tmp_path: Path, strategy: str) -> list[str]:
    """The ssh command lines Ansible runs for playbook against a closed port on 127.0.0.1 with
    STRATEGY, with host key checking switched off in the environment as ansible-runner does by
    default."""
    inventory = tmp_path / "inventory.yml"
    host = {
        "ansible_host": "127.0.0.1",
        "ansible_port": _closed_port(),
        "ansible_user": "root",
        "ansible_ssh_common_args": f"-o UserKnownHostsFile={tmp_path}/known_hosts"
        " -o StrictHostKeyChecking=yes",
    }
    inventory.write_text(yaml.safe_dump({"all": {"hosts": {"h1": host}}}))
    result = _run(
        [_tool("ansible-playbook"), "-vvvv", "-i", str(inventory), str(playbook)],
        env={
            "ANSIBLE_HOST_KEY_CHECKING": "False",
            "ANSIBLE_STRATEGY": strategy,
            "MITOGEN_LOG_LEVEL": "debug",
        },
    )
    assert "UNREACHABLE" in result.stdout, result.stdout + result.stderr
    output = result.stdout + result.stderr
    return [line for line in output.splitlines() if SSH_LINES[strategy] in line]


def _first_host_key_checking(command: str) -> str:
    """The StrictHostKeyChecking value ssh takes from COMMAND: the first one given."""
    return re.search(r"StrictHostKeyChecking[= ](\w+)", command.replace('"', "")).group(1)


@pytest.mark.parametrize("strategy", sorted(SSH_LINES))
def test_playbooks_check_host_keys_even_when_the_environment_says_no(tmp_path, strategy):
    commands = _ssh_commands(PLAYBOOKS / "ping.yml", tmp_path, strategy)
    assert commands
    for command in commands:
        assert _first_host_key_checking(command) == "yes"
        assert "StrictHostKeyChecking=no" not in command
        assert "StrictHostKeyChecking no" not in command
        assert "UserKnownHostsFile /dev/null" not in command
        assert "-o BatchMode=yes" in command
        if strategy == "linear":
            assert 'ControlPath="/tmp/.ansible-cp/%C"' in command


@pytest.mark.parametrize("strategy", sorted(SSH_LINES))
def test_without_group_vars_the_environment_would_turn_checking_off(tmp_path, strategy):
    # The same playbook outside playbooks/ lacks group_vars/all/connection.yml: this is what the
    # guard above prevents, and it shows the check can see the difference.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shutil.copy(PLAYBOOKS / "ping.yml", elsewhere / "ping.yml")
    commands = _ssh_commands(elsewhere / "ping.yml", tmp_path, strategy)
    assert commands
    assert all(_first_host_key_checking(command) == "no" for command in commands)


@pytest.mark.parametrize(
    "line",
    [
        "-o StrictHostKeyChecking=no",
        "ssh_args = -o StrictHostKeyChecking no",
        "host_key_checking = False",
        "ansible_ssh_host_key_checking: false",
        'env["ANSIBLE_HOST_KEY_CHECKING"] = "False"',
        "ANSIBLE_HOST_KEY_CHECKING=0",
        "-o UserKnownHostsFile=/dev/null",
        "client.set_missing_host_key_policy(paramiko.AutoAddPolicy())",
    ],
)
def test_bypass_detector_flags(line):
    assert bypasses_in(line) == [line]


@pytest.mark.parametrize(
    "line",
    [
        "-o StrictHostKeyChecking=yes -o UserKnownHostsFile=/run/job/known_hosts",
        "host_key_checking = True",
        "ansible_ssh_host_key_checking: true",
        'env["ANSIBLE_HOST_KEY_CHECKING"] = "True"',
    ],
)
def test_bypass_detector_accepts(line):
    assert bypasses_in(line) == []


def test_nothing_disables_host_key_checking():
    files = [ROOT / "Vagrantfile"]
    for folder in (PLAYBOOKS, ROOT / "panel"):
        files += [p for p in folder.rglob("*") if p.suffix in SCANNED_SUFFIXES and p.is_file()]
    found = {
        str(path.relative_to(ROOT)): lines
        for path in files
        if (lines := bypasses_in(path.read_text(errors="replace")))
    }
    assert found == {}


def _blocks(tasks: list) -> list[dict]:
    """Every block of TASKS, nested ones included."""
    found = []
    for task in tasks or []:
        if "block" in task:
            found.append(task)
            found += _blocks(task["block"]) + _blocks(task.get("always", []))
    return found


def _bundles_packed_on_the_controller() -> list[tuple[str, dict, dict]]:
    """(task file, block, tar task) for each tar file a role packs on the controller."""
    packed = []
    for path in sorted(PLAYBOOKS.glob("roles/*/tasks/*.yml")):
        tasks = yaml.safe_load(path.read_text())
        outer = {"block": tasks}
        for block in [outer, *_blocks(tasks)]:
            for task in block["block"]:
                command = task.get("ansible.builtin.command")
                argv = command.get("argv", []) if isinstance(command, dict) else []
                if task.get("delegate_to") == "localhost" and "--create" in argv:
                    packed.append((str(path.relative_to(ROOT)), block, task))
    return packed


def test_each_run_packs_its_bundles_into_a_file_of_its_own():
    """Two jobs deploying at once must not rewrite the bundle the other is still sending."""
    packed = _bundles_packed_on_the_controller()
    assert {name for name, _, _ in packed} == {
        "playbooks/roles/bbblb/tasks/app.yml",
        "playbooks/roles/panel/tasks/app.yml",
    }
    for name, block, tar in packed:
        made = {
            task["register"]
            for task in block["block"]
            if "ansible.builtin.tempfile" in task and task.get("delegate_to") == "localhost"
        }
        target = next(arg for arg in tar["ansible.builtin.command"]["argv"] if "--file=" in arg)
        owner = re.fullmatch(r"--file=\{\{ (\w+)\.path \}\}", target)
        assert owner and owner.group(1) in made, f"{name}: {target} is not this run's own file"
        removed = [
            task["ansible.builtin.file"]
            for task in block.get("always", [])
            if task.get("delegate_to") == "localhost"
        ]
        assert {"path": f"{{{{ {owner.group(1)}.path }}}}", "state": "absent"} in removed, name


def test_webspace_hosts_get_the_php_modules_applications_need_and_the_testbed_image_holds_them():
    from panel_testbed import image

    defaults = yaml.safe_load((PLAYBOOKS / "roles/webspace/defaults/main.yml").read_text())
    wanted = set(defaults["webspace_packages"])
    # A site reaches the databases the panel makes through these (mysqli, pdo_mysql, pdo_pgsql).
    assert {"php-mysql", "php-pgsql"} <= wanted
    # What WordPress' site health and Nextcloud's installer ask for besides.
    assert {"php-curl", "php-gd", "php-intl", "php-mbstring", "php-xml", "php-zip"} <= wanted
    # Testbed hosts have no route out: what the role installs must be in their image already.
    for suite in image.SUITES:
        assert wanted <= set(image.packages(suite)), suite
