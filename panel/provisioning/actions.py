"""The actions the worker knows, each one playbook. Features add theirs with register()."""

from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app

from panel.hosts.targets import agent_token


@dataclass(frozen=True)
class Action:
    name: str
    playbook: str
    maintenance: bool = False
    description: str = ""
    # Its successful runs report host facts (set_stats `hosts`) that refresh the inventory.
    reports_facts: bool = False
    # Secret extra vars made from the job's hosts when it runs: derived, so never stored with
    # the job.
    secrets: Callable[[list[str]], dict] | None = None
    # Extra vars from the panel's settings, made when the job is created: kept with the job, so
    # its page shows what it applied.
    variables: Callable[[], dict] | None = None


ACTIONS: dict[str, Action] = {}


def register(action: Action) -> Action:
    ACTIONS[action.name] = action
    return action


def _agent_secrets(hosts: list[str]) -> dict:
    """Each host's own scrape token; roles/agent picks its host's."""
    return {"agent_tokens": {host: agent_token(host) for host in hosts}}


def _base_variables() -> dict:
    """The firewall's sources the panel knows (base_panel_*: roles/base adds them to its own)."""
    return {
        "base_panel_ssh_sources": list(current_app.config["MANAGEMENT_ADDRESSES"]),
        "base_panel_monitoring_sources": list(current_app.config["MONITORING_ADDRESSES"]),
    }


for _action in (
    Action("ping", "ping.yml", True, "Check the connection and refresh the facts", True),
    Action(
        "base",
        "base.yml",
        True,
        "Apply the host baseline: time zone, locale, updates, journal, firewall",
        variables=_base_variables,
    ),
    Action("apt-upgrade", "apt-upgrade.yml", True, "Install Debian updates"),
    Action("reboot", "reboot.yml", True, "Reboot and wait until the host is back"),
    Action(
        "agent",
        "agent.yml",
        True,
        "Install or update the metering agent and node_exporter",
        secrets=_agent_secrets,
    ),
    # Onboarding's: base and agent in one run; its success makes the host ready.
    Action(
        "setup",
        "setup.yml",
        description="Set a new host up: the baseline, the metering agent and node_exporter",
        secrets=_agent_secrets,
        variables=_base_variables,
    ),
):
    register(_action)


def maintenance_actions() -> list[Action]:
    return [action for action in ACTIONS.values() if action.maintenance]
