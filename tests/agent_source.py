"""The host agent as a module, loaded from agents/panel_agent.py (a script, not a package), and
as a process, the way its service runs it."""

import contextlib
import importlib.util
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

AGENT_FILE = Path(__file__).resolve().parents[1] / "agents" / "panel_agent.py"

_spec = importlib.util.spec_from_file_location("panel_agent", AGENT_FILE)
panel_agent = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(panel_agent)


@dataclass
class AgentRun:
    process: subprocess.Popen
    output: str = ""


@contextlib.contextmanager
def agent_service(arguments: list[str], env: dict[str, str]) -> Iterator[AgentRun]:
    """The agent as its service runs it, with ARGUMENTS; SIGTERM when the block ends, after
    which `output` holds what it printed (killed instead if it does not stop in time)."""
    process = subprocess.Popen(
        [sys.executable, str(AGENT_FILE), *arguments],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    run = AgentRun(process)
    try:
        yield run
        process.send_signal(signal.SIGTERM)
        run.output, _ = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
