"""The host agent as a module, loaded from agents/panel_agent.py (a script, not a package)."""

import importlib.util
from pathlib import Path

AGENT_FILE = Path(__file__).resolve().parents[1] / "agents" / "panel_agent.py"

_spec = importlib.util.spec_from_file_location("panel_agent", AGENT_FILE)
panel_agent = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(panel_agent)
