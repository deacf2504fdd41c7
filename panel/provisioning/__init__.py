"""Jobs: playbooks run by the worker through ansible-runner, never lost, one host at a time."""
