"""The agent role's systemd unit, rendered here by Ansible with the role's defaults: its command
line is one the agent accepts, and the video collector is on only with agent_bbblb_database,
which the role's check lets through only as a plain database name."""

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from agent_source import panel_agent as agent_module

ROOT = Path(__file__).resolve().parents[2]
ROLE = ROOT / "playbooks" / "roles" / "agent"
BIN = Path(sys.executable).parent


@pytest.fixture(autouse=True)
def transaction():
    """No database: the shared rolled-back session stays out."""
    yield None


def run_locally(tmp_path: Path, tasks: list[dict], **extravars) -> subprocess.CompletedProcess:
    """TASKS in a play on this machine with the role's defaults and EXTRAVARS."""
    play = [
        {
            "name": "Tasks of the agent role",
            "hosts": "localhost",
            "gather_facts": False,
            "vars_files": [str(ROLE / "defaults" / "main.yml")],
            "tasks": tasks,
        }
    ]
    playbook = tmp_path / "play.yml"
    playbook.write_text(yaml.safe_dump(play))
    variables = {"ansible_python_interpreter": sys.executable, **extravars}
    return subprocess.run(
        [
            str(BIN / "ansible-playbook"),
            *("-i", "localhost,", "-c", "local", str(playbook)),
            *("-e", yaml.safe_dump(variables, default_flow_style=True)),
        ],
        env={**os.environ, "ANSIBLE_CONFIG": str(ROOT / "playbooks" / "ansible.cfg")},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def rendered_command(tmp_path: Path, **extravars) -> list[str]:
    """The agent's arguments in the unit the role writes with EXTRAVARS."""
    unit = tmp_path / "panel-agent.service"
    render = {
        "name": "Render",
        "ansible.builtin.template": {
            "src": str(ROLE / "templates" / "panel-agent.service.j2"),
            "dest": str(unit),
            "mode": "0644",
        },
    }
    result = run_locally(tmp_path, [render], **extravars)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = unit.read_text().splitlines()
    (exec_start,) = [line for line in lines if line.startswith("ExecStart=")]
    # The unit goes on after the command line: the optional part must not swallow the newline.
    assert lines[lines.index(exec_start) + 1] == "Restart=on-failure"
    return shlex.split(exec_start.removeprefix("ExecStart="))[2:]


def test_the_video_collector_is_off_by_default(tmp_path):
    arguments = agent_module.parse_args(rendered_command(tmp_path))
    assert arguments.bbblb_database is None


def test_the_bbblb_database_turns_the_video_collector_on(tmp_path):
    command = rendered_command(tmp_path, agent_bbblb_database="bbblb", agent_bbblb_poll_interval=10)
    arguments = agent_module.parse_args(command)
    assert arguments.bbblb_database == "bbblb"
    assert arguments.bbblb_poll_interval == 10
    assert arguments.video_interval == 60


@pytest.mark.parametrize(
    ("extravars", "accepted"),
    [
        ({}, True),
        ({"agent_bbblb_database": "bbblb", "agent_bbblb_poll_interval": 10}, True),
        ({"agent_bbblb_database": "bbblb --listen 0.0.0.0:80"}, False),
        ({"agent_bbblb_database": "-h"}, False),
        ({"agent_bbblb_database": "bbblb", "agent_bbblb_poll_interval": 0}, False),
        ({"agent_bbblb_database": "bbblb", "agent_bbblb_poll_interval": "10 --x"}, False),
        ({"agent_video_interval": "1m"}, False),
    ],
)
def test_the_role_checks_the_video_settings_before_they_reach_the_unit(
    tmp_path, extravars, accepted
):
    tasks = yaml.safe_load((ROLE / "tasks" / "main.yml").read_text())
    check = [task for task in tasks if task["name"] == "Check the video collector's settings"]
    assert len(check) == 1
    result = run_locally(tmp_path, check, **extravars)
    assert (result.returncode == 0) == accepted, result.stdout + result.stderr
