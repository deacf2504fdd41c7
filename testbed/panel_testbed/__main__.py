"""`python -m panel_testbed up|status|down`, the same as the `panel-testbed` command."""

from panel_testbed.cli import testbed

testbed(prog_name="panel-testbed")
