"""The actions the worker knows, each one playbook. Features add theirs with register()."""

from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l

from panel.hosts.targets import agent_token


@dataclass(frozen=True)
class Action:
    name: str
    playbook: str
    maintenance: bool = False
    # A lazily translated sentence: job pages show it in the page's language.
    description: object = ""
    # Its successful runs report host facts (set_stats `hosts`) that refresh the inventory.
    reports_facts: bool = False
    # Secret extra vars made from the job's hosts when it runs: derived, so never stored with
    # the job.
    secrets: Callable[[list[str]], dict] | None = None
    # Extra vars made from the panel's settings and the job's hosts when the job is created:
    # kept with the job, so its page shows what it applied.
    variables: Callable[[list[str]], dict] | None = None
    # It works on one host, its target, which it drains (no new webspaces) while it runs and
    # until it succeeded.
    drains: bool = False
    # It only looks: ansible-playbook runs with --check --diff, and its changed tasks are what
    # differs from the playbook's desired state (a drift check).
    check: bool = False


ACTIONS: dict[str, Action] = {}
# What each feature runs on given hosts, as dist-upgrade.yml's variables (lists: the sites to
# check, the webspaces to set up again): a release upgrade must keep all of it working.
UPGRADE_VARIABLES: list[Callable[[list[str]], dict[str, list]]] = []


def register(action: Action) -> Action:
    ACTIONS[action.name] = action
    return action


def _agent_secrets(hosts: list[str]) -> dict:
    """Each host's own scrape token; roles/agent picks its host's."""
    return {"agent_tokens": {host: agent_token(host) for host in hosts}}


def add_upgrade_variables(variables: Callable[[list[str]], dict[str, list]]) -> None:
    """Once, however many apps a process makes."""
    if variables not in UPGRADE_VARIABLES:
        UPGRADE_VARIABLES.append(variables)


def base_variables(_hosts: list[str]) -> dict:
    """The firewall's sources the panel knows (base_panel_*: roles/base adds them to its own)."""
    return {
        "base_panel_ssh_sources": list(current_app.config["MANAGEMENT_ADDRESSES"]),
        "base_panel_monitoring_sources": list(current_app.config["MONITORING_ADDRESSES"]),
    }


def _dist_upgrade_variables(hosts: list[str]) -> dict:
    """What runs on the hosts, each feature's lists joined."""
    joined: dict[str, list] = {"dist_upgrade_sites": [], "dist_upgrade_webspaces": []}
    for variables in UPGRADE_VARIABLES:
        for name, values in variables(hosts).items():
            joined.setdefault(name, []).extend(values)
    return joined


for _action in (
    Action("ping", "ping.yml", True, _l("Check the connection and refresh the facts"), True),
    Action(
        "base",
        "base.yml",
        True,
        _l("Apply the host baseline: time zone, locale, updates, journal, firewall"),
        variables=base_variables,
    ),
    Action("apt-upgrade", "apt-upgrade.yml", True, _l("Install Debian updates")),
    Action("reboot", "reboot.yml", True, _l("Reboot and wait until the host is back")),
    Action(
        "dist-upgrade",
        "dist-upgrade.yml",
        True,
        _l(
            "Upgrade Debian to its next release (bookworm to trixie): drain the host, upgrade, "
            "reboot, check its sites, set up its webspaces again"
        ),
        variables=_dist_upgrade_variables,
        drains=True,
    ),
    Action(
        "agent",
        "agent.yml",
        True,
        _l("Install or update the metering agent and node_exporter"),
        secrets=_agent_secrets,
    ),
    # Onboarding's: base and agent in one run; its success makes the host ready.
    Action(
        "setup",
        "setup.yml",
        description=_l("Set a new host up: the baseline, the metering agent and node_exporter"),
        secrets=_agent_secrets,
        variables=base_variables,
    ),
):
    register(_action)


def action_label(name: str) -> str:
    """What the action named NAME does, in the page's language; the name where none is said."""
    action = ACTIONS.get(name)
    return str(action.description) if action and action.description else name


def maintenance_actions() -> list[Action]:
    return [action for action in ACTIONS.values() if action.maintenance]
