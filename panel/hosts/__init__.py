"""The host inventory: onboarding over SSH with pinned host keys, facts, dynamic inventory."""
