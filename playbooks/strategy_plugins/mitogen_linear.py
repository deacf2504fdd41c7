"""The mitogen_linear strategy (the `mitogen` package) under this project's plugin folder, so
that ansible.cfg or ANSIBLE_STRATEGY can choose it without a path into the virtualenv.

Mitogen runs modules in one Python interpreter per host, kept for the whole playbook, instead of
a new ssh command and interpreter per task: the linear strategy with a fraction of the per-task
cost. Choosing `linear` (PANEL_ANSIBLE_STRATEGY=linear) runs the playbooks without it."""

from ansible_mitogen.plugins.strategy.mitogen_linear import StrategyModule

__all__ = ["StrategyModule"]
